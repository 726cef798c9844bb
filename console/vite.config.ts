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
    // `npm run dev` against a node on localhost:8080.
    proxy: { '/api': 'http://127.0.0.1:8080', '/metrics': 'http://127.0.0.1:8080' },
  },
});
