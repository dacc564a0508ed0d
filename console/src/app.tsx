/**
 * The shell: restores the session through the refresh cookie, then shows the navigation and the page
 * for the current path. Signed out, every path shows sign-in / sign-up. Admin pages are linked only
 * for admins, and the edge refuses them (403) to anyone else whatever the page does.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, hasSession, onSessionEnd, refresh, signOut } from './api/client.ts';
import { Link, Loading } from './components/ui.tsx';
import { AccountPage } from './pages/account.tsx';
import { AdminPage } from './pages/admin.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { AuthPage } from './pages/auth.tsx';
import { FileDetailPage, FilesPage } from './pages/files.tsx';
import { OrgSwitcher, OrgsPage } from './pages/orgs.tsx';
import { ProviderKeysPage } from './pages/provider-keys.tsx';
import { RunPage } from './pages/run.tsx';
import { RunDetailPage } from './pages/run-detail.tsx';
import { RunHistoryPage } from './pages/run-history.tsx';
import { TaskDetailPage } from './pages/task-detail.tsx';
import { TasksPage } from './pages/tasks.tsx';
import { ResetPasswordPage, VerifyEmailPage } from './pages/token-links.tsx';
import { navigate, usePath } from './router.ts';

export interface Me {
  id: string;
  email: string;
  isAdmin: boolean;
  hasPassword: boolean;
  emailVerified: boolean;
  identities: { provider: 'google' | 'github'; email: string | null; linkedAt: string }[];
  createdAt: string;
}

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/runs', label: 'Run code' },
  { href: '/runs/history', label: 'History' },
  { href: '/tasks', label: 'Tasks' },
  { href: '/files', label: 'Files' },
  { href: '/api-keys', label: 'API keys' },
  { href: '/provider-keys', label: 'Provider keys' },
  { href: '/orgs', label: 'Organizations' },
  { href: '/account', label: 'Account' },
  { href: '/admin', label: 'Admin', admin: true },
];

function content(path: string, me: Me, onOrgsChanged: () => void) {
  const run = /^\/runs\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  const task = /^\/tasks\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  const file = /^\/files\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (path === '/' || path === '/runs') return <RunPage />;
  if (path === '/runs/history') return <RunHistoryPage />;
  if (run?.[1]) return <RunDetailPage id={run[1]} />;
  if (path === '/tasks') return <TasksPage />;
  if (task?.[1]) return <TaskDetailPage id={task[1]} />;
  if (path === '/files') return <FilesPage />;
  if (file?.[1]) return <FileDetailPage id={file[1]} />;
  if (path === '/account') return <AccountPage me={me} />;
  if (path === '/orgs') return <OrgsPage me={me} onOrgsChanged={onOrgsChanged} />;
  if (path === '/provider-keys') return <ProviderKeysPage />;
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path.startsWith('/admin')) return <AdminPage me={me} />;
  return (
    <section class="page">
      <h1>Not found</h1>
      <p>
        There is no page here. <Link href="/runs">Run some code</Link>.
      </p>
    </section>
  );
}

export function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null>(null);
  const [booting, setBooting] = useState(true);
  const [orgKey, setOrgKey] = useState(0);
  const [orgsVersion, setOrgsVersion] = useState(0);

  const loadMe = async () => {
    try {
      setMe(await api<Me>('GET', '/v1/me'));
    } catch {
      setMe(null);
    }
  };

  useEffect(() => {
    const off = onSessionEnd(() => setMe(null));
    void (async () => {
      if (hasSession() || (await refresh())) await loadMe();
      setBooting(false);
    })();
    return off;
  }, []);

  // Focus the page heading after in-app navigation so keyboard and screen-reader users land on it.
  useEffect(() => {
    document.getElementById('page-title')?.focus();
  }, [path]);

  // The mails' links work signed in or not.
  if (path === '/verify-email') return <VerifyEmailPage />;
  if (path === '/reset-password') return <ResetPasswordPage />;
  if (booting) return <Loading label="Restoring your session…" />;
  if (!me) return <AuthPage onSignedIn={loadMe} />;

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Airlock</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.admin || me.isAdmin).map((n) => (
              <li key={n.href}>
                <Link href={n.href} current={path === n.href || (n.href === '/runs' && path === '/')}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="session">
          <OrgSwitcher version={orgsVersion} onChange={() => setOrgKey((k) => k + 1)} />
          <span class="who">{me.email}</span>
          <button type="button" onClick={() => void signOut().then(() => navigate('/', { replace: true }))}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" key={orgKey}>
        {content(path, me, () => setOrgsVersion((v) => v + 1))}
      </main>
    </div>
  );
}
