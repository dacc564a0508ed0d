/** Organizations: the switcher in the header (sets X-Org-Id), the list, members, invite and removal. */
import { useState } from 'preact/hooks';
import { api, currentOrg, setOrg } from '../api/client.ts';
import type { Me } from '../app.tsx';
import { ErrorBox, formatDate, Loading, Page, useAction, useLoad } from '../components/ui.tsx';

interface Org {
  id: string;
  name: string;
  personal: boolean;
  role: 'owner' | 'admin' | 'member';
  createdAt: string;
}
interface Member {
  userId: string;
  email: string;
  role: string;
  joinedAt: string;
}

const listOrgs = () => api<{ orgs: Org[] }>('GET', '/v1/orgs').then((r) => r.orgs);

export function OrgSwitcher(props: { version: number; onChange: () => void }) {
  const { data } = useLoad(listOrgs, [props.version]);
  if (!data || data.length < 2) return null;
  const personal = data.find((o) => o.personal);
  return (
    <label class="org-switch">
      <span class="visually-hidden">Organization</span>
      <select
        value={currentOrg() ?? personal?.id ?? ''}
        onChange={(e) => {
          const id = e.currentTarget.value;
          setOrg(id === personal?.id ? null : id);
          props.onChange();
        }}
      >
        {data.map((o) => (
          <option key={o.id} value={o.id}>
            {o.personal ? `${o.name} (personal)` : o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Members(props: { org: Org; me: Me }) {
  const path = `/v1/orgs/${encodeURIComponent(props.org.id)}/members`;
  const members = useLoad(() => api<{ members: Member[] }>('GET', path).then((r) => r.members), [path]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const invite = useAction();
  const remove = useAction();
  const canManage = props.org.role !== 'member' && !props.org.personal;

  return (
    <div class="members">
      <h3>Members of {props.org.name}</h3>
      {members.loading && !members.data ? <Loading /> : null}
      <ErrorBox error={members.error ?? remove.error} />
      <ul class="list">
        {(members.data ?? []).map((m) => (
          <li key={m.userId}>
            <span>{m.email}</span> <span class="badge">{m.role}</span>{' '}
            <span class="muted">joined {formatDate(m.joinedAt)}</span>
            {!props.org.personal && (canManage || m.userId === props.me.id) ? (
              <button
                type="button"
                class="small"
                disabled={remove.busy}
                onClick={() =>
                  void remove.run(async () => {
                    if (
                      !confirm(m.userId === props.me.id ? 'Leave this organization?' : `Remove ${m.email}?`)
                    )
                      return;
                    await api('DELETE', `${path}/${encodeURIComponent(m.userId)}`);
                    await members.reload();
                  })
                }
              >
                {m.userId === props.me.id ? 'Leave' : 'Remove'}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {canManage ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void invite.run(async () => {
              await api('POST', path, { email: email.trim(), role });
              setEmail('');
              await members.reload();
            });
          }}
        >
          <label for="invite-email">Add a member by email</label>
          <input
            id="invite-email"
            type="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <label for="invite-role">Role</label>
          <select
            id="invite-role"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as 'member' | 'admin')}
          >
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
          <button type="submit" disabled={invite.busy}>
            Add
          </button>
          <ErrorBox error={invite.error} />
        </form>
      ) : null}
    </div>
  );
}

export function OrgsPage(props: { me: Me; onOrgsChanged: () => void }) {
  const orgs = useLoad(listOrgs);
  const [name, setName] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const create = useAction();
  return (
    <Page title="Organizations">
      {orgs.loading && !orgs.data ? <Loading /> : null}
      <ErrorBox error={orgs.error} />
      <ul class="list">
        {(orgs.data ?? []).map((o) => (
          <li key={o.id}>
            <span>{o.name}</span> <span class="badge">{o.personal ? 'personal' : o.role}</span>{' '}
            <button
              type="button"
              class="small"
              aria-expanded={open === o.id}
              onClick={() => setOpen(open === o.id ? null : o.id)}
            >
              {open === o.id ? 'Hide members' : 'Members'}
            </button>
            {open === o.id ? <Members org={o} me={props.me} /> : null}
          </li>
        ))}
      </ul>
      <h2>New organization</h2>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run(async () => {
            await api('POST', '/v1/orgs', { name: name.trim() });
            setName('');
            await orgs.reload();
            props.onOrgsChanged();
          });
        }}
      >
        <label for="org-name">Name</label>
        <input
          id="org-name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" disabled={create.busy}>
          Create
        </button>
        <ErrorBox error={create.error} />
      </form>
    </Page>
  );
}
