// Consumer groups: lag per queue, connected clients, settings, reset offset by time.
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorBox, Link, Notice, Table, formatCount, formatTime, html, toLocalInput, useAction, useConfirm, useLoad } from '../ui.js';

const POLL_MS = 3000;

export function GroupsPage() {
  const groups = useLoad(() => api('/groups'), [], POLL_MS);
  return html`<section>
    <h2>Consumer groups</h2>
    <${ErrorBox} error=${groups.error} />
    <${Table}
      testId="groups-table"
      rows=${groups.data?.groups ?? []}
      rowKey=${(g) => g.group}
      empty="No consumer group yet."
      columns=${[
        { title: 'Group', render: (g) => html`<${Link} to=${`/groups/${encodeURIComponent(g.group)}`}>${g.group}</${Link}>` },
        { title: 'Ordering', render: (g) => (g.config ? (g.config.fifo ? 'FIFO' : 'concurrent') : 'not configured') },
        { title: 'Max deliveries', className: 'num', render: (g) => g.config?.maxDeliveryAttempts ?? '-' },
        { title: 'Topics', render: (g) => g.topics.join(', ') || '-' },
        { title: 'Lag', className: 'num', render: (g) => formatCount(g.totalLag) },
        { title: 'In flight', className: 'num', render: (g) => formatCount(g.inFlight) },
        { title: '', render: (g) => html`<${Link} to=${`/dlq/${encodeURIComponent(g.group)}`}>dead letters</${Link}>` },
      ]}
    />
  </section>`;
}

function SettingsForm({ group, config, onSaved }) {
  const [form, setForm] = useState({ maxDeliveryAttempts: config?.maxDeliveryAttempts ?? 16, fifo: config?.fifo ?? false });
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    void action.run(
      async () => {
        const result = await api(`/groups/${seg(group)}`, { method: 'PUT', body: { maxDeliveryAttempts: Number(form.maxDeliveryAttempts), fifo: form.fifo } });
        onSaved();
        return result;
      },
      () => `Saved group ${group}.`,
    );
  };
  return html`<form class="inline-form" onSubmit=${submit} data-testid="group-settings-form">
    <label
      >Max delivery attempts
      <input
        name="maxDeliveryAttempts"
        type="number"
        min="1"
        value=${form.maxDeliveryAttempts}
        onInput=${(e) => setForm({ ...form, maxDeliveryAttempts: e.currentTarget.value })}
      />
    </label>
    <label class="toggle"
      ><input name="fifo" type="checkbox" checked=${form.fifo} onChange=${(e) => setForm({ ...form, fifo: e.currentTarget.checked })} /> FIFO (one message in
      flight per message group)</label
    >
    <button type="submit" disabled=${action.busy}>Save</button>
    <${Notice} action=${action} />
  </form>`;
}

function ResetOffsetForm({ group, topics, onReset }) {
  const [form, setForm] = useState({ topic: topics[0] ?? '', time: toLocalInput(Date.now() - 3_600_000) });
  const action = useAction();
  const [dialog, confirm] = useConfirm();
  const submit = async (e) => {
    e.preventDefault();
    const timestamp = new Date(form.time).getTime();
    const ok = await confirm({
      title: `Reset ${group} on ${form.topic}?`,
      message: `Every queue of ${form.topic} is repositioned to the first message stored at or after ${formatTime(timestamp)}: messages after it are delivered again, messages before it are skipped.`,
      action: 'Reset offsets',
    });
    if (!ok) return;
    await action.run(
      async () => {
        const result = await api(`/groups/${seg(group)}/reset-offset`, { method: 'POST', body: { topic: form.topic, timestamp } });
        onReset();
        return result;
      },
      (r) => `Reset ${r.offsets.length} queue(s): ${r.offsets.map((o) => `${o.queueId}@${o.offset}`).join(', ')}.`,
    );
  };
  return html`<form class="inline-form" onSubmit=${submit} data-testid="reset-offset-form">
    ${dialog}
    <label>Topic <input name="topic" required value=${form.topic} onInput=${(e) => setForm({ ...form, topic: e.currentTarget.value })} /></label>
    <label
      >From <input name="time" type="datetime-local" required value=${form.time} onInput=${(e) => setForm({ ...form, time: e.currentTarget.value })}
    /></label>
    <button type="submit" disabled=${action.busy}>Reset offset</button>
    <${Notice} action=${action} />
  </form>`;
}

export function GroupPage({ group }) {
  const detail = useLoad(() => api(`/groups/${seg(group)}`), [group], POLL_MS);
  const d = detail.data;
  return html`<section>
    <h2>Consumer group <span data-testid="group-name">${group}</span></h2>
    <${ErrorBox} error=${detail.error} />
    ${
      d &&
      html`<p>Lag ${formatCount(d.totalLag)} · in flight ${formatCount(d.inFlight)} · <${Link} to=${`/dlq/${encodeURIComponent(group)}`}>dead letters</${Link}></p>
      <h3>Lag per queue</h3>
      <${Table}
        testId="progress-table"
        rows=${d.progress}
        rowKey=${(p) => `${p.topic}/${p.queueId}`}
        empty="The group has consumed nothing yet."
        columns=${[
          { title: 'Topic', render: (p) => p.topic },
          { title: 'Queue', className: 'num', render: (p) => p.queueId },
          { title: 'Broker offset', className: 'num', render: (p) => formatCount(p.brokerOffset) },
          { title: 'Consumer offset', className: 'num', render: (p) => formatCount(p.consumerOffset) },
          { title: 'In flight', className: 'num', render: (p) => formatCount(p.inFlight) },
          { title: 'Lag', className: 'num', render: (p) => formatCount(p.lag) },
        ]}
      />
      <h3>Clients connected</h3>
      <${Table}
        testId="clients-table"
        rows=${d.clients ?? []}
        rowKey=${(c) => c.clientId}
        empty="No consumer of this group is connected."
        columns=${[
          { title: 'Client id', render: (c) => c.clientId },
          { title: 'Type', render: (c) => c.clientType },
          { title: 'Topics', render: (c) => c.topics.join(', ') || '-' },
          { title: 'Stream', render: (c) => (c.connected ? 'open' : 'reconnecting') },
          { title: 'Last seen', render: (c) => formatTime(c.lastSeenMs) },
        ]}
      />
      <h3>Settings</h3>
      <${SettingsForm} group=${group} config=${d.config} onSaved=${() => void detail.reload()} />
      <h3>Reset offset by time</h3>
      <${ResetOffsetForm} group=${group} topics=${d.topics} onReset=${() => void detail.reload()} />`
    }
  </section>`;
}
