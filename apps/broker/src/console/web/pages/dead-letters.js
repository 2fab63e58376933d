// Dead letters: per group, inspect a message, resend the selected ones.
import { useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { ErrorBox, Link, Notice, Table, formatCount, formatTime, html, useAction, useConfirm, useLoad } from '../ui.js';
import { MessageDetail } from './message-detail.js';

function GroupPicker({ group }) {
  const groups = useLoad(() => api('/groups'), []);
  return html`<form class="inline-form" onSubmit=${(e) => e.preventDefault()}>
    <label
      >Consumer group
      <select data-testid="dlq-group" value=${group ?? ''} onChange=${(e) => (location.hash = `#/dlq/${encodeURIComponent(e.currentTarget.value)}`)}>
        <option value="" disabled>choose a group</option>
        ${(groups.data?.groups ?? []).map((g) => html`<option value=${g.group}>${g.group}</option>`)}
      </select>
    </label>
    <${ErrorBox} error=${groups.error} />
  </form>`;
}

function DeadLetterList({ group }) {
  const list = useLoad(() => api(`/groups/${seg(group)}/dlq${query({ max: 100 })}`), [group]);
  const [selected, setSelected] = useState(new Set());
  const [open, setOpen] = useState(undefined);
  const action = useAction();
  const [dialog, confirm] = useConfirm();
  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const resend = async () => {
    const ids = [...selected];
    const ok = await confirm({
      title: `Resend ${ids.length} message(s)?`,
      message:
        'Each goes back to the topic it came from (its original queue choice: a FIFO message to its message group queue) and is delivered to the group again.',
      action: 'Resend',
    });
    if (!ok) return;
    await action.run(
      async () => {
        const results = [];
        for (const id of ids) results.push(await api(`/groups/${seg(group)}/dlq/${seg(id)}/resend`, { method: 'POST' }));
        return results;
      },
      (results) => `Resent ${results.length}: ${results.map((r) => `${r.messageId} → ${r.topic}#${r.queueId}@${r.queueOffset}`).join(', ')}.`,
    );
    setSelected(new Set());
  };
  const d = list.data;
  return html`<div>
    ${dialog}
    <${ErrorBox} error=${list.error} />
    <${Notice} action=${action} />
    ${d && html`<p data-testid="dlq-total">${formatCount(d.total)} message(s) in ${d.topic}</p>`}
    <${Table}
      testId="dlq-table"
      rows=${d?.messages ?? []}
      rowKey=${(m) => m.messageId}
      empty="The dead-letter queue is empty."
      columns=${[
        {
          title: '',
          render: (m) => html`<input type="checkbox" data-testid="dlq-select" checked=${selected.has(m.messageId)} onChange=${() => toggle(m.messageId)} />`,
        },
        {
          title: 'Message id',
          render: (m) => html`<a href="#" onClick=${(e) => (e.preventDefault(), setOpen(open === m ? undefined : m))}>${m.messageId}</a>`,
        },
        { title: 'From topic', render: (m) => m.properties.DLQ_ORIGIN_TOPIC ?? m.properties.RETRY_TOPIC ?? '-' },
        { title: 'Keys', render: (m) => m.keys.join(', ') },
        { title: 'Dead-lettered', render: (m) => formatTime(m.storeTimestampMs) },
        { title: '', render: (m) => html`<${Link} to=${`/timeline?id=${encodeURIComponent(m.messageId)}`}>timeline</${Link}>` },
      ]}
    />
    <button type="button" data-testid="dlq-resend" disabled=${selected.size === 0 || action.busy} onClick=${resend}>Resend selected (${selected.size})</button>
    ${open && html`<${MessageDetail} message=${open} />`}
  </div>`;
}

export function DeadLettersPage({ group }) {
  return html`<section>
    <h2>Dead letters</h2>
    <${GroupPicker} group=${group} />
    ${group && html`<${DeadLetterList} group=${group} />`}
  </section>`;
}
