// Messages: by id, by key, or by topic and time range (paged, at most 100 a page server-side).
import { useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { ErrorBox, Link, Table, formatTime, html, toLocalInput, useAction } from '../ui.js';
import { MessageDetail } from './message-detail.js';

const PAGE_SIZE = 50;

function Results({ messages, nextPage, busy }) {
  const [open, setOpen] = useState(undefined);
  if (!messages) return null;
  return html`<div>
    <${Table}
      testId="messages-table"
      rows=${messages}
      rowKey=${(m) => `${m.messageId}@${m.commitLogOffset}`}
      empty="No message found."
      columns=${[
        {
          title: 'Message id',
          render: (m) => html`<a href="#" onClick=${(e) => (e.preventDefault(), setOpen(open === m ? undefined : m))}>${m.messageId}</a>`,
        },
        { title: 'Topic', render: (m) => m.topic },
        { title: 'Queue / offset', className: 'num', render: (m) => `${m.queueId} / ${m.queueOffset}` },
        { title: 'Tag', render: (m) => m.tag ?? '' },
        { title: 'Keys', render: (m) => m.keys.join(', ') },
        { title: 'Stored', render: (m) => formatTime(m.storeTimestampMs) },
        { title: '', render: (m) => html`<${Link} to=${`/timeline?id=${encodeURIComponent(m.messageId)}`}>timeline</${Link}>` },
      ]}
    />
    ${nextPage && html`<button type="button" data-testid="next-page" disabled=${busy} onClick=${nextPage}>Next page</button>`}
    ${open && html`<${MessageDetail} message=${open} />`}
  </div>`;
}

export function MessagesPage({ params }) {
  const [mode, setMode] = useState(params.get('topic') ? 'range' : params.get('key') ? 'key' : 'id');
  const [form, setForm] = useState({
    id: params.get('id') ?? '',
    topic: params.get('topic') ?? '',
    key: params.get('key') ?? '',
    since: toLocalInput(Number(params.get('since') ?? Date.now() - 3_600_000)),
    until: toLocalInput(Date.now() + 60_000),
  });
  const [result, setResult] = useState(undefined);
  const action = useAction();
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });

  const searchRange = (cursor, previous) =>
    action.run(async () => {
      const since = new Date(form.since).getTime();
      const until = new Date(form.until).getTime();
      const page = await api(`/topics/${seg(form.topic)}/messages${query({ since, until, max: PAGE_SIZE, cursor })}`);
      setResult({ messages: [...(previous ?? []), ...page.messages], nextCursor: page.nextCursor });
    });
  const submit = (e) => {
    e.preventDefault();
    setResult(undefined);
    if (mode === 'id') void action.run(async () => setResult({ messages: (await api(`/messages/${seg(form.id.trim())}`)).records }));
    if (mode === 'key')
      void action.run(async () => setResult({ messages: (await api(`/topics/${seg(form.topic)}/messages${query({ key: form.key, max: 100 })}`)).messages }));
    if (mode === 'range') void searchRange(undefined, undefined);
  };
  return html`<section>
    <h2>Messages</h2>
    <div class="tabs">
      ${[
        ['id', 'By message id'],
        ['key', 'By key'],
        ['range', 'By topic and time'],
      ].map(
        ([m, title]) =>
          html`<button type="button" class=${mode === m ? 'active' : ''} data-testid=${`mode-${m}`} onClick=${() => setMode(m)}>${title}</button>`,
      )}
    </div>
    <form class="inline-form" onSubmit=${submit} data-testid="message-search">
      ${mode === 'id' && html`<label>Message id <input name="id" required value=${form.id} onInput=${set('id')} /></label>`}
      ${mode !== 'id' && html`<label>Topic <input name="topic" required value=${form.topic} onInput=${set('topic')} /></label>`}
      ${mode === 'key' && html`<label>Key <input name="key" required value=${form.key} onInput=${set('key')} /></label>`}
      ${
        mode === 'range' &&
        html`<label>From <input name="since" type="datetime-local" required value=${form.since} onInput=${set('since')} /></label>
          <label>To <input name="until" type="datetime-local" required value=${form.until} onInput=${set('until')} /></label>`
      }
      <button type="submit" disabled=${action.busy}>Search</button>
    </form>
    <${ErrorBox} error=${action.error} />
    <${Results}
      messages=${result?.messages}
      busy=${action.busy}
      nextPage=${result?.nextCursor ? () => void searchRange(result.nextCursor, result.messages) : undefined}
    />
  </section>`;
}
