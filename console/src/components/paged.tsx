/**
 * A list the API pages by cursor (`?limit=&cursor=`, answered with `nextCursor`): the first page on
 * mount and on `reload()`, each next page appended by `more()` until `nextCursor` is null. The latest
 * `fetchPage` is used, so a reload picks up the page's current filters. LoadMore is its button.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useAction } from './ui.tsx';

/** Items per page in the console's lists. */
export const PAGE_SIZE = 20;

export function usePaged<P extends { nextCursor: string | null }, T>(
  fetchPage: (query: URLSearchParams) => Promise<P>,
  itemsOf: (page: P) => T[],
) {
  const [items, setItems] = useState<T[] | null>(null);
  const [last, setLast] = useState<P | null>(null);
  const action = useAction();
  const latest = useRef(fetchPage);
  latest.current = fetchPage;

  const load = (cursor: string | null) =>
    action.run(async () => {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (cursor) query.set('cursor', cursor);
      const page = await latest.current(query);
      setItems((prev) => (cursor ? [...(prev ?? []), ...itemsOf(page)] : itemsOf(page)));
      setLast(page);
    });

  useEffect(() => {
    void load(null);
  }, []);

  const next = last?.nextCursor ?? null;
  return {
    items,
    /** The last page fetched (for what a page carries besides its items). */
    page: last,
    hasMore: next !== null,
    busy: action.busy,
    error: action.error,
    reload: () => load(null),
    more: () => (next === null ? Promise.resolve() : load(next)),
  };
}

/** The button under a paged list while the API has more; `what` names the items for its label. */
export function LoadMore(props: {
  list: { hasMore: boolean; busy: boolean; more(): Promise<void> };
  what: string;
}) {
  const { list } = props;
  if (!list.hasMore) return null;
  return (
    <button type="button" disabled={list.busy} onClick={() => void list.more()}>
      {list.busy ? 'Loading…' : `Load more ${props.what}`}
    </button>
  );
}
