// Shared pieces of the console's pages: rendering, polling, formatting, confirmation.
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/**
 * Loads `load()` now, again when `deps` change, and every `intervalMs` (when given) while the page
 * shows; `reload()` loads at once. Keeps the last good value while a reload fails.
 */
export function useLoad(load, deps = [], intervalMs = 0) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((previous) => ({ data: previous.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    setState((previous) => ({ ...previous, loading: true }));
    void reload();
    if (!intervalMs) return undefined;
    const timer = setInterval(() => void reload(), intervalMs);
    return () => clearInterval(timer);
  }, [reload, intervalMs]);
  return { ...state, reload };
}

/** An action's progress and outcome for the page to show: run(fn) records success or the error. */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: undefined, done: undefined });
  const run = useCallback(async (fn, describe) => {
    setState({ busy: true, error: undefined, done: undefined });
    try {
      const result = await fn();
      setState({ busy: false, error: undefined, done: describe ? describe(result) : 'Done.' });
      return result;
    } catch (error) {
      setState({ busy: false, error, done: undefined });
      return undefined;
    }
  }, []);
  return { ...state, run };
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message ?? String(error)}</p>`;
}

export function Notice({ action }) {
  if (action.error) return html`<${ErrorBox} error=${action.error} />`;
  if (action.done) return html`<p class="notice" role="status">${action.done}</p>`;
  return null;
}

/** A table: columns of { title, render(row), className? }; `rowKey(row)` names each row. */
export function Table({ columns, rows, rowKey, empty = 'Nothing to show.', testId }) {
  if (!rows || rows.length === 0) return html`<p class="empty" data-testid=${testId}>${empty}</p>`;
  return html`<table data-testid=${testId}>
    <thead>
      <tr>
        ${columns.map((c) => html`<th class=${c.className}>${c.title}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr key=${rowKey(row)} data-row=${rowKey(row)}>
            ${columns.map((c) => html`<td class=${c.className}>${c.render(row)}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/**
 * Asks before a change: a modal dialog that names what will happen. `confirmText`, when given,
 * must be typed (a topic's name before deleting it).
 */
export function Confirm({ request, onClose }) {
  const [typed, setTyped] = useState('');
  const dialog = useRef(null);
  useEffect(() => {
    if (request && dialog.current && !dialog.current.open) dialog.current.showModal();
    if (!request && dialog.current?.open) dialog.current.close();
    setTyped('');
  }, [request]);
  if (!request) return html`<dialog ref=${dialog}></dialog>`;
  const blocked = request.confirmText !== undefined && typed !== request.confirmText;
  return html`<dialog ref=${dialog} class="confirm" data-testid="confirm-dialog" onCancel=${() => onClose(false)}>
    <h3>${request.title}</h3>
    <p>${request.message}</p>
    ${
      request.confirmText !== undefined &&
      html`<label
        >Type <code>${request.confirmText}</code> to confirm
        <input data-testid="confirm-input" value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} />
      </label>`
    }
    <div class="buttons">
      <button type="button" onClick=${() => onClose(false)}>Cancel</button>
      <button type="button" class="danger" data-testid="confirm-ok" disabled=${blocked} onClick=${() => onClose(true)}>${request.action ?? 'Confirm'}</button>
    </div>
  </dialog>`;
}

/** `const [dialog, confirm] = useConfirm(); if (await confirm({ title, message })) ...` */
export function useConfirm() {
  const [request, setRequest] = useState(undefined);
  const resolver = useRef(undefined);
  const confirm = useCallback(
    (next) =>
      new Promise((resolve) => {
        resolver.current = resolve;
        setRequest(next);
      }),
    [],
  );
  const close = useCallback((answer) => {
    setRequest(undefined);
    resolver.current?.(answer);
    resolver.current = undefined;
  }, []);
  return [html`<${Confirm} request=${request} onClose=${close} />`, confirm];
}

export function formatBytes(bytes) {
  if (bytes === undefined || bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatTime(ms) {
  if (ms === undefined || ms === null) return '-';
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

export function formatCount(n) {
  return n === undefined || n === null ? '-' : n.toLocaleString('en-US');
}

/** A `datetime-local` input's value for a time (local time, minutes). */
export function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A link inside the console (hash routes). */
export function Link({ to, children, testId }) {
  return html`<a href=${`#${to}`} data-testid=${testId}>${children}</a>`;
}
