// Transactions: unresolved half messages; commit, roll back or check now, each confirmed first.
import { useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { ErrorBox, Link, Notice, Table, formatCount, formatDuration, formatTime, html, useAction, useConfirm, useLoad } from '../ui.js';

const POLL_MS = 3000;

const ACTIONS = {
  commit: {
    label: 'Commit',
    title: (t) => `Commit transaction ${t.transactionId}?`,
    message: (t) => `The message ${t.messageId} on ${t.topic} is delivered to its consumers. Recorded in its trace as an operator's decision.`,
    request: (t) => api(`/transactions/${seg(t.transactionId)}/commit`, { method: 'POST', body: { topic: t.topic, messageId: t.messageId } }),
    done: (r) => `Committed ${r.transactionId}${r.duplicate ? ' (it was committed already)' : ''}.`,
  },
  rollback: {
    label: 'Roll back',
    title: (t) => `Roll back transaction ${t.transactionId}?`,
    message: (t) => `The message ${t.messageId} on ${t.topic} is never delivered. Recorded in its trace as an operator's decision.`,
    request: (t) => api(`/transactions/${seg(t.transactionId)}/rollback`, { method: 'POST', body: { topic: t.topic, messageId: t.messageId } }),
    done: (r) => `Rolled back ${r.transactionId}${r.duplicate ? ' (it was rolled back already)' : ''}.`,
  },
  check: {
    label: 'Check now',
    title: (t) => `Check transaction ${t.transactionId} now?`,
    message: (t) => `A check-back goes to a connected producer of ${t.producerGroup ?? 'its group'}; its answer commits or rolls back the message.`,
    request: (t) => api(`/transactions/${seg(t.transactionId)}/check`, { method: 'POST' }),
    done: (r) => `Check-back sent to ${r.clientId}.`,
  },
};

export function TransactionsPage() {
  const [filter, setFilter] = useState({ state: '', topic: '' });
  const list = useLoad(() => api(`/transactions${query({ state: filter.state, topic: filter.topic, max: 100 })}`), [filter.state, filter.topic], POLL_MS);
  const action = useAction();
  const [dialog, confirm] = useConfirm();
  const act = async (kind, t) => {
    const spec = ACTIONS[kind];
    if (!(await confirm({ title: spec.title(t), message: spec.message(t), action: spec.label }))) return;
    await action.run(spec.request.bind(null, t), spec.done);
    await list.reload();
  };
  const d = list.data;
  return html`<section>
    <h2>Transactions</h2>
    ${dialog}
    <${ErrorBox} error=${list.error} />
    <${Notice} action=${action} />
    ${d && html`<p data-testid="half-counts">${formatCount(d.counts.pending)} pending · ${formatCount(d.counts.checkMax)} past the check limit (only an operator resolves those)</p>`}
    <form class="inline-form" onSubmit=${(e) => e.preventDefault()}>
      <label
        >State
        <select value=${filter.state} onChange=${(e) => setFilter({ ...filter, state: e.currentTarget.value })}>
          <option value="">all unresolved</option>
          <option value="pending">pending</option>
          <option value="check-max">check-max</option>
        </select>
      </label>
      <label>Topic <input value=${filter.topic} onChange=${(e) => setFilter({ ...filter, topic: e.currentTarget.value.trim() })} /></label>
    </form>
    <${Table}
      testId="transactions-table"
      rows=${d?.transactions ?? []}
      rowKey=${(t) => t.transactionId}
      empty="No unresolved transaction."
      columns=${[
        { title: 'Transaction id', render: (t) => t.transactionId },
        { title: 'Message', render: (t) => html`<${Link} to=${`/timeline?id=${encodeURIComponent(t.messageId)}`}>${t.messageId}</${Link}>` },
        { title: 'Topic', render: (t) => t.topic },
        { title: 'Producer group', render: (t) => t.producerGroup ?? '-' },
        { title: 'State', render: (t) => t.state },
        { title: 'Age', className: 'num', render: (t) => formatDuration(t.ageMs) },
        { title: 'Checks', className: 'num', render: (t) => t.checkCount },
        { title: 'Next check', render: (t) => (t.nextCheckAtMs ? formatTime(t.nextCheckAtMs) : '-') },
        {
          title: '',
          render: (t) =>
            html`<span class="row-actions">
              ${Object.entries(ACTIONS).map(
                ([kind, spec]) =>
                  html`<button
                    type="button"
                    data-testid=${`tx-${kind}`}
                    disabled=${action.busy || (kind === 'check' && t.state !== 'pending')}
                    onClick=${() => void act(kind, t)}
                  >
                    ${spec.label}
                  </button>`,
              )}
            </span>`,
        },
      ]}
    />
  </section>`;
}
