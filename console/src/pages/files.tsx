/**
 * Files (issue 15/16): upload with a progress bar (XMLHttpRequest: fetch reports no upload progress),
 * the caller's files a page at a time (Load more follows the API's cursor), and one file's page: its
 * archive manifest (every name shown as text, with the sanitised-name mapping), Delete after a
 * confirmation, and Run from the file with an entry, whose output streams live and which Cancel
 * stops, as on the Run code page.
 */
import type { FileManifest, FilePage, StoredFile } from '@airlock/client';
import { useState } from 'preact/hooks';
import { api, uploadFile } from '../api/client.ts';
import { LoadMore, usePaged } from '../components/paged.tsx';
import { RunControls, RunLiveOutput } from '../components/run-controls.tsx';
import { useRunStream } from '../components/run-stream.ts';
import { ErrorBox, formatDate, Link, Loading, Page, useAction, useLoad } from '../components/ui.tsx';
import { navigate } from '../router.ts';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export function FilesPage() {
  const list = usePaged(
    (q) => api<FilePage>('GET', `/v1/files?${q}`),
    (page) => page.files,
  );
  const [chosen, setChosen] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [done, setDone] = useState<StoredFile | null>(null);
  const upload = useAction();

  const send = () =>
    upload.run(async () => {
      if (!chosen) throw new Error('Choose a file first.');
      setDone(null);
      setProgress({ sent: 0, total: chosen.size });
      try {
        const file = await uploadFile<StoredFile>(chosen, chosen.name, (sent, total) =>
          setProgress({ sent, total }),
        );
        setDone(file);
        await list.reload();
      } catch (err) {
        setProgress(null);
        throw err;
      }
    });

  const percent = progress && progress.total > 0 ? Math.round((progress.sent / progress.total) * 100) : 0;
  const usage = list.page?.usage;
  const files = list.items;

  return (
    <Page title="Files">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label for="file-input">File to upload (an archive: .zip, .tar, .tar.gz; or any file)</label>
        <input
          id="file-input"
          type="file"
          onChange={(e) => {
            setChosen(e.currentTarget.files?.[0] ?? null);
            setProgress(null);
            setDone(null);
          }}
        />
        <div class="row">
          <button type="submit" class="primary" disabled={upload.busy}>
            {upload.busy ? 'Uploading…' : 'Upload'}
          </button>
        </div>
        {progress ? (
          <p>
            <label for="upload-progress">Upload progress</label>{' '}
            <progress id="upload-progress" max={100} value={percent} />{' '}
            <span role="status" data-testid="upload-state">
              {upload.busy
                ? `${percent}% (${formatBytes(progress.sent)} of ${formatBytes(progress.total)})`
                : done
                  ? `Uploaded ${formatBytes(done.size)}`
                  : ''}
            </span>
          </p>
        ) : null}
        <ErrorBox error={upload.error} />
        {done ? (
          <p>
            Stored as <code>{done.name}</code>
            {done.renamedFrom ? (
              <>
                {' '}
                (renamed from <code>{done.renamedFrom}</code>)
              </>
            ) : null}
            . <Link href={`/files/${done.id}`}>Open {done.name}</Link>
          </p>
        ) : null}
      </form>
      <h2>Your files</h2>
      {usage ? (
        <p class="muted">
          {formatBytes(usage.bytes)} of {formatBytes(usage.quotaBytes)} used in this organization.
        </p>
      ) : null}
      {list.busy && !files ? <Loading label="Loading files…" /> : null}
      <ErrorBox error={list.error} />
      {files && files.length === 0 ? <p>No files yet.</p> : null}
      {files && files.length > 0 ? (
        <div class="scroll">
          <table class="table" aria-label="Files">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">Kind</th>
                <th scope="col">Uploaded</th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.id}>
                  <td>
                    <Link href={`/files/${f.id}`}>{f.name}</Link>
                  </td>
                  <td>{formatBytes(f.size)}</td>
                  <td>{f.kind}</td>
                  <td>{formatDate(f.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore list={list} what="files" />
    </Page>
  );
}

interface Runtimes {
  runtimes: { language: string; version?: string }[];
}

const LANGUAGE_BY_EXTENSION: Record<string, string> = { py: 'python', js: 'javascript', mjs: 'javascript' };
const guessLanguage = (entry: string) => LANGUAGE_BY_EXTENSION[entry.split('.').pop() ?? ''];

/** The files a run can start from: an archive's files, or a plain file itself. */
function entriesOf(file: StoredFile): string[] {
  if (file.manifest) return file.manifest.entries.filter((e) => e.type === 'file').map((e) => e.path);
  return [file.name];
}

export function FileDetailPage(props: { id: string }) {
  const path = `/v1/files/${encodeURIComponent(props.id)}`;
  const file = useLoad(() => api<StoredFile>('GET', path), [path]);
  const runtimes = useLoad(() => api<Runtimes>('GET', '/v1/runtimes'));
  const remove = useAction();
  const f = file.data;
  return (
    <Page title={f ? `File ${f.name}` : 'File'}>
      {file.loading && !f ? <Loading label="Loading the file…" /> : null}
      <ErrorBox error={file.error ?? remove.error} />
      {f ? (
        <>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{f.name}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(f.size)}</dd>
            <dt>Kind</dt>
            <dd>{f.kind}</dd>
            <dt>Uploaded</dt>
            <dd>{formatDate(f.createdAt)}</dd>
            <dt>SHA-256</dt>
            <dd>
              <code>{f.sha256}</code>
            </dd>
          </dl>
          <div class="row">
            <button
              type="button"
              disabled={remove.busy}
              onClick={() =>
                void remove.run(async () => {
                  if (!confirm(`Delete ${f.name}? This cannot be undone.`)) return;
                  await api('DELETE', path);
                  navigate('/files');
                })
              }
            >
              Delete file
            </button>
          </div>
          {f.manifest ? <Manifest manifest={f.manifest} /> : null}
          <RunFromFile file={f} languages={runtimes.data?.runtimes ?? []} />
        </>
      ) : null}
      <p>
        <Link href="/files">All files</Link>
      </p>
    </Page>
  );
}

function Manifest(props: { manifest: FileManifest }) {
  const m = props.manifest;
  return (
    <>
      <h2>Archive contents</h2>
      <p>
        {m.files} files, {formatBytes(m.totalBytes)} unpacked ({m.kind}).
      </p>
      <div class="scroll">
        <table class="table" aria-label="Archive entries">
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {m.entries.map((e) => (
              <tr key={e.path}>
                <td>{e.path}</td>
                <td>{e.type}</td>
                <td>{e.type === 'file' ? formatBytes(e.size) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {m.renamed.length > 0 ? (
        <>
          <h3>Renamed entries</h3>
          <p class="muted">Characters outside A–Z, a–z, 0–9, . _ + - became _ when the archive was read.</p>
          <div class="scroll">
            <table class="table" aria-label="Renamed entries">
              <thead>
                <tr>
                  <th scope="col">In the archive</th>
                  <th scope="col">In the run</th>
                </tr>
              </thead>
              <tbody>
                {m.renamed.map((r) => (
                  <tr key={r.to}>
                    <td>{r.from}</td>
                    <td>{r.to}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  );
}

function RunFromFile(props: { file: StoredFile; languages: { language: string; version?: string }[] }) {
  const entries = entriesOf(props.file);
  const first = entries.find((e) => guessLanguage(e)) ?? entries[0] ?? '';
  const [entry, setEntry] = useState(first);
  const [language, setLanguage] = useState(guessLanguage(first) ?? 'python');
  const run = useRunStream();
  const languages = props.languages.length > 0 ? props.languages : [{ language }];
  return (
    <>
      <h2>Run from this file</h2>
      <form
        class="run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run.start({ language, fileIds: [props.file.id], entry });
        }}
      >
        <div class="row">
          <label for="run-language">Language</label>
          <select id="run-language" value={language} onChange={(e) => setLanguage(e.currentTarget.value)}>
            {languages.map((r) => (
              <option key={r.language} value={r.language}>
                {r.language}
              </option>
            ))}
          </select>
        </div>
        <div class="row">
          <label for="run-entry">Entry</label>
          <select
            id="run-entry"
            value={entry}
            onChange={(e) => {
              const next = e.currentTarget.value;
              setEntry(next);
              const guessed = guessLanguage(next);
              if (guessed) setLanguage(guessed);
            }}
          >
            {entries.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <RunControls run={run} ready={entry !== ''} />
      </form>
      <RunLiveOutput run={run} heading="h3" hideIdle />
    </>
  );
}
