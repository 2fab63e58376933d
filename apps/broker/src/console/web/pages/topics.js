// Topics: list and create; one topic's configuration, queues, deletion and a test message.
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorBox, Link, Notice, Table, formatCount, formatTime, html, useAction, useConfirm, useLoad } from '../ui.js';

const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
/** RocketMQ's permission bits: 2 write, 4 read. */
const PERMS = [
  [6, 'read + write (6)'],
  [4, 'read only (4)'],
  [2, 'write only (2)'],
  [0, 'none (0)'],
];

function TopicForm({ initial, onSave, busy, submitLabel, showName }) {
  const [form, setForm] = useState({ name: '', messageType: 'NORMAL', readQueueNums: 8, writeQueueNums: 8, perm: 6, ...initial });
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    void onSave({
      name: form.name.trim(),
      messageType: form.messageType,
      readQueueNums: Number(form.readQueueNums),
      writeQueueNums: Number(form.writeQueueNums),
      perm: Number(form.perm),
    });
  };
  return html`<form class="inline-form" onSubmit=${submit} data-testid="topic-form">
    ${showName && html`<label>Name <input name="name" required value=${form.name} onInput=${set('name')} /></label>`}
    <label
      >Type
      <select name="messageType" value=${form.messageType} onChange=${set('messageType')}>
        ${MESSAGE_TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
    </label>
    <label>Read queues <input name="readQueueNums" type="number" min="1" max="1024" value=${form.readQueueNums} onInput=${set('readQueueNums')} /></label>
    <label>Write queues <input name="writeQueueNums" type="number" min="1" max="1024" value=${form.writeQueueNums} onInput=${set('writeQueueNums')} /></label>
    <label
      >Permission
      <select name="perm" value=${form.perm} onChange=${set('perm')}>
        ${PERMS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select>
    </label>
    <button type="submit" disabled=${busy}>${submitLabel}</button>
  </form>`;
}

export function TopicsPage() {
  const topics = useLoad(() => api('/topics'), []);
  const action = useAction();
  const [showSystem, setShowSystem] = useState(false);
  const create = ({ name, ...fields }) =>
    action.run(
      async () => {
        const result = await api(`/topics/${seg(name)}`, { method: 'PUT', body: fields });
        await topics.reload();
        return result;
      },
      (r) => `${r.created ? 'Created' : 'Updated'} topic ${r.topic.name}.`,
    );
  const rows = (topics.data?.topics ?? []).filter((t) => showSystem || !t.system).sort((a, b) => a.name.localeCompare(b.name));
  return html`<section>
    <h2>Topics</h2>
    <${ErrorBox} error=${topics.error} />
    <label class="toggle"><input type="checkbox" checked=${showSystem} onChange=${(e) => setShowSystem(e.currentTarget.checked)} /> Show system topics</label>
    <${Table}
      testId="topics-table"
      rows=${rows}
      rowKey=${(t) => t.name}
      empty="No topic yet."
      columns=${[
        { title: 'Topic', render: (t) => html`<${Link} to=${`/topics/${encodeURIComponent(t.name)}`}>${t.name}</${Link}>` },
        { title: 'Type', render: (t) => t.messageType },
        { title: 'Queues (read / write)', className: 'num', render: (t) => `${t.readQueueNums} / ${t.writeQueueNums}` },
        { title: 'Permission', className: 'num', render: (t) => t.perm },
        { title: 'System', render: (t) => (t.system ? 'yes' : '') },
      ]}
    />
    <h3>Create a topic</h3>
    <${TopicForm} showName submitLabel="Create" busy=${action.busy} onSave=${create} />
    <${Notice} action=${action} />
  </section>`;
}

function TestMessageForm({ topic, messageType, onSent }) {
  const [form, setForm] = useState({ body: 'hello from the console', tag: '', keys: '', messageGroup: '' });
  const action = useAction();
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const keys = form.keys
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    void action.run(
      async () => {
        const result = await api(`/topics/${seg(topic)}/messages`, {
          method: 'POST',
          body: { body: form.body, tag: form.tag || undefined, keys: keys.length ? keys : undefined, messageGroup: form.messageGroup || undefined },
        });
        onSent();
        return result;
      },
      (r) =>
        html`Sent message <${Link} to=${`/timeline?id=${encodeURIComponent(r.messageId)}`} testId="sent-message-id">${r.messageId}</${Link}> to queue ${r.queueId} at offset ${r.queueOffset}.`,
    );
  };
  return html`<form class="stack-form" onSubmit=${submit} data-testid="test-message-form">
    <label>Body <textarea name="body" rows="3" value=${form.body} onInput=${set('body')}></textarea></label>
    <label>Tag <input name="tag" value=${form.tag} onInput=${set('tag')} /></label>
    <label>Keys (comma separated) <input name="keys" value=${form.keys} onInput=${set('keys')} /></label>
    ${messageType === 'FIFO' && html`<label>Message group <input name="messageGroup" required value=${form.messageGroup} onInput=${set('messageGroup')} /></label>`}
    <button type="submit" disabled=${action.busy}>Send</button>
    <${Notice} action=${action} />
  </form>`;
}

export function TopicPage({ name }) {
  const status = useLoad(() => api(`/topics/${seg(name)}`), [name]);
  const action = useAction();
  const [dialog, confirm] = useConfirm();
  const s = status.data;
  const save = ({ name: _ignored, ...fields }) =>
    action.run(
      async () => {
        const result = await api(`/topics/${seg(name)}`, { method: 'PUT', body: fields });
        await status.reload();
        return result;
      },
      () => `Saved topic ${name}.`,
    );
  const remove = async () => {
    const ok = await confirm({
      title: `Delete topic ${name}?`,
      message: 'Its configuration is forgotten at once; its stored messages expire with the retention time. Producers sending to it are refused.',
      confirmText: name,
      action: 'Delete',
    });
    if (!ok) return;
    const result = await action.run(
      () => api(`/topics/${seg(name)}`, { method: 'DELETE' }),
      () => `Deleted topic ${name}.`,
    );
    if (result) location.hash = '#/topics';
  };
  const now = Date.now();
  return html`<section>
    <h2>Topic <span data-testid="topic-name">${name}</span></h2>
    ${dialog}
    <${ErrorBox} error=${status.error} />
    <${Notice} action=${action} />
    ${
      s &&
      html`<p>
        ${s.config.messageType} · ${formatCount(s.totalMessages)} messages stored · ${formatCount(s.halfMessages.pending)} pending half messages ·
        <${Link} to=${`/messages?topic=${encodeURIComponent(name)}&since=${now - 3_600_000}`}>browse the last hour</${Link}>
      </p>
      <h3>Configuration</h3>
      <${TopicForm} initial=${s.config} submitLabel="Save" busy=${action.busy} onSave=${save} />
      <h3>Queues</h3>
      <${Table}
        testId="queues-table"
        rows=${s.queues}
        rowKey=${(q) => q.queueId}
        columns=${[
          { title: 'Queue', className: 'num', render: (q) => q.queueId },
          { title: 'Min offset', className: 'num', render: (q) => formatCount(q.minOffset) },
          { title: 'Max offset', className: 'num', render: (q) => formatCount(q.maxOffset) },
          { title: 'Newest message', render: (q) => formatTime(q.lastUpdateTimestampMs) },
        ]}
      />
      ${
        !s.config.system &&
        html`<h3>Send a test message</h3>
          <${TestMessageForm} topic=${name} messageType=${s.config.messageType} onSent=${() => void status.reload()} />
          <h3>Danger zone</h3>
          <button type="button" class="danger" data-testid="delete-topic" onClick=${remove}>Delete topic</button>`
      }`
    }
  </section>`;
}
