// The console's shell: sign-in, navigation, theme and the views.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { currentUser, onSessionChange, probeSecurity, signIn, signOut } from './api';
import { ErrorBox, Link, useRoute } from './ui';
import { DataView } from './views/data';
import { QueryView } from './views/query';
import { LiveView } from './views/live';
import { ClusterView, IndexesView, MetricsView, SecurityView } from './views/admin';

type Theme = 'light' | 'dark';
const THEME = 'lumadb.console.theme';
const system = window.matchMedia('(prefers-color-scheme: dark)');

function useTheme(): [Theme, () => void] {
  const chosen = () => (localStorage.getItem(THEME) as Theme | null) ?? (system.matches ? 'dark' : 'light');
  const [theme, setTheme] = useState<Theme>(chosen());
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    // Follows the system setting until the user picks a theme.
    const l = () => setTheme(chosen());
    system.addEventListener('change', l);
    return () => system.removeEventListener('change', l);
  }, []);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME, next);
    setTheme(next);
  };
  return [theme, toggle];
}

const NAV: [string, string][] = [
  ['/data', 'Data'],
  ['/query', 'Query'],
  ['/live', 'Live'],
  ['/indexes', 'Indexes'],
  ['/cluster', 'Cluster'],
  ['/metrics', 'Metrics'],
  ['/security', 'Security'],
];

function SignIn() {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <form
        class="panel"
        aria-labelledby="signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await signIn(user, password);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 id="signin-title">Sign in to LumaDB</h1>
        <label>
          User
          <input id="signin-user" autocomplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input id="signin-password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <p class="muted">The session lasts until you sign out or close this tab.</p>
      </form>
    </main>
  );
}

function App() {
  const [theme, toggleTheme] = useTheme();
  const [user, setUser] = useState(currentUser());
  const [probed, setProbed] = useState(false);
  const route = useRoute();
  useEffect(() => onSessionChange(() => setUser(currentUser())), []);
  useEffect(() => {
    probeSecurity().finally(() => setProbed(true));
  }, []);
  useEffect(() => {
    const first = route.split('/')[1] || 'data';
    const name = NAV.find(([to]) => to === '/' + first)?.[1] ?? 'Data';
    document.title = `${name} · LumaDB console`;
  }, [route]);

  const themeButton = (
    <button type="button" class="theme" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} id="theme-toggle">
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );

  if (!probed) return null;
  if (!user) {
    return (
      <>
        <header class="top">
          <span class="brand">LumaDB</span>
          {themeButton}
        </header>
        <SignIn />
      </>
    );
  }

  const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
  const section = parts[0] ?? 'data';
  let view;
  switch (section) {
    case 'query':
      view = <QueryView />;
      break;
    case 'live':
      view = <LiveView />;
      break;
    case 'indexes':
      view = <IndexesView />;
      break;
    case 'cluster':
      view = <ClusterView />;
      break;
    case 'metrics':
      view = <MetricsView />;
      break;
    case 'security':
      view = <SecurityView />;
      break;
    default:
      view = <DataView parts={parts.slice(1)} />;
  }

  return (
    <>
      <a href="#main" class="skip">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">LumaDB</span>
        <span class="muted">
          signed in as <strong id="signed-in-user">{user}</strong>
        </span>
        {themeButton}
        <button type="button" onClick={() => signOut()} id="sign-out">
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav aria-label="Main" class="side">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <Link to={to} current={'/' + section === to}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {view}
        </main>
      </div>
    </>
  );
}

render(<App />, document.getElementById('app')!);
