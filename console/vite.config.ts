import { defineConfig } from 'vite';

// The node serves the console at /console; the Maven build (build.sh) sets LUMADB_CONSOLE_OUT to
// the folder that lands in the node's jar (target/classes/io/lumadb/console).
export default defineConfig({
  base: '/console/',
  build: {
    outDir: process.env.LUMADB_CONSOLE_OUT ?? 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev` (and `vite preview`) against a node: LUMADB_URL, else localhost:8080.
    proxy: {
      '/api': process.env.LUMADB_URL ?? 'http://127.0.0.1:8080',
      '/metrics': process.env.LUMADB_URL ?? 'http://127.0.0.1:8080',
    },
  },
});
