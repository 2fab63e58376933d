// One transaction's timeline as a waterfall: half -> checks -> decision -> deliveries and acks per
// group -> application events -> notifications. Found by message id or by key (a business key).
import { useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { ErrorBox, formatDuration, formatTime, html, useLoad } from '../ui.js';

const SOURCES = { client: 'the producer', 'server-check': 'a check-back answer', admin: 'an operator' };

/** What a step says, and on which lane (who did it) it is drawn. */
export function describeStep(s) {
  switch (s.type) {
    case 'Pub':
      return {
        lane: 'broker',
        text: `${s.messageType === 'Trans_Msg_Half' ? 'Half message stored' : 'Stored'} on ${s.topic} queue ${s.queueId}${s.clientId ? ` from ${s.clientId}` : ''}${s.deliveryTimestampMs ? `, due ${formatTime(s.deliveryTimestampMs)}` : ''}`,
      };
    case 'CheckBack':
      return { lane: 'broker', text: `Check-back #${s.checkCount ?? '?'} sent${s.clientId ? ` to ${s.clientId}` : ''}` };
    case 'EndTransaction':
      return { lane: 'broker', text: `${s.resolution === 'COMMIT' ? 'Committed' : 'Rolled back'} by ${SOURCES[s.source] ?? s.source ?? 'unknown'}` };
    case 'SubBefore':
      return { lane: s.group, text: `Delivered to ${s.group} (attempt ${s.attempt ?? 1})${s.clientId ? ` at ${s.clientId}` : ''}` };
    case 'SubAfter':
      return { lane: s.group, text: `Acknowledged by ${s.group}${s.clientId ? ` at ${s.clientId}` : ''}` };
    case 'DeadLetter':
      return { lane: s.group, text: `Dead-lettered to ${s.deadLetterTopic} after ${s.attempts} attempt(s)` };
    case 'Resent':
      return { lane: s.group, text: `Resent from ${s.deadLetterTopic} to ${s.topic} queue ${s.queueId} by an operator` };
    case 'LocalTransaction':
      return { lane: 'producer', text: `Local transaction ${s.outcome}${s.durationMs !== undefined ? ` in ${formatDuration(s.durationMs)}` : ''}` };
    case 'Consumed':
      return {
        lane: s.group ?? 'consumer',
        text: `Handler ${s.outcome}${s.group ? ` in ${s.group}` : ''}${s.errorCode ? ` (${s.errorCode})` : ''}${s.durationMs !== undefined ? ` in ${formatDuration(s.durationMs)}` : ''}`,
      };
    case 'Notification': {
      const result = { delivered: 'delivered', retry: 'failed, tried again later', failed: 'failed, given up' }[s.outcome] ?? s.outcome;
      return {
        lane: 'notification',
        text: `Notification attempt ${s.attempt ?? '?'}${s.endpoint ? ` to ${s.endpoint}` : ''}: ${result}${s.errorCode ? ` (${s.errorCode})` : ''}${s.durationMs !== undefined ? ` in ${formatDuration(s.durationMs)}` : ''}`,
      };
    }
    default:
      return { lane: 'other', text: s.type };
  }
}

function Waterfall({ timeline }) {
  const steps = timeline.steps;
  if (steps.length === 0) return html`<p class="empty">No trace recorded for ${timeline.messageId}.</p>`;
  const span = Math.max(1, steps[steps.length - 1].sinceFirstMs);
  return html`<div class="timeline" data-testid="timeline" data-message-id=${timeline.messageId}>
    <h3>Message ${timeline.messageId}</h3>
    <p>
      ${steps[0].topic} · keys ${steps[0].keys.join(', ') || '-'} · started ${formatTime(steps[0].timeMs)} · ${formatDuration(span)} from first to last step
      ${timeline.truncated ? ' · later steps cut (limit reached)' : ''}
    </p>
    <ol class="waterfall">
      ${steps.map((s, i) => {
        const { lane, text } = describeStep(s);
        const left = (s.sinceFirstMs / span) * 100;
        return html`<li key=${i} class=${`step step-${s.type}`} data-testid="timeline-step" data-type=${s.type} data-outcome=${s.outcome ?? s.resolution ?? ''}>
          <span class="step-time">+${formatDuration(s.sinceFirstMs)}</span>
          <span class="step-lane">${lane}</span>
          <span class="step-text">${text}</span>
          <span class="step-bar"><span class="step-mark" style=${{ left: `calc(${left.toFixed(2)}% - 4px)` }}></span></span>
          <span class="step-delta">${i === 0 ? '' : `+${formatDuration(s.sincePreviousMs)}`}</span>
        </li>`;
      })}
    </ol>
  </div>`;
}

function Lookup({ by, value }) {
  const result = useLoad(
    () => (by === 'id' ? api(`/messages/${seg(value)}/timeline`).then((t) => ({ timelines: [t] })) : api(`/messages/timeline${query({ key: value })}`)),
    [by, value],
  );
  if (result.loading && !result.data) return html`<p class="loading">Loading...</p>`;
  return html`<div>
    <${ErrorBox} error=${result.error} />
    ${result.data?.truncated && html`<p class="notice">More messages carry this key; the newest 32 are shown.</p>`}
    ${(result.data?.timelines ?? []).map((t) => html`<${Waterfall} key=${t.messageId} timeline=${t} />`)}
  </div>`;
}

export function TimelinePage({ params }) {
  const by = params.get('key') ? 'key' : 'id';
  const value = params.get('key') ?? params.get('id') ?? '';
  const [form, setForm] = useState({ by, value });
  const submit = (e) => {
    e.preventDefault();
    location.hash = `#/timeline?${form.by}=${encodeURIComponent(form.value.trim())}`;
  };
  return html`<section>
    <h2>Timeline</h2>
    <form class="inline-form" onSubmit=${submit} data-testid="timeline-search">
      <label
        >Find by
        <select name="by" value=${form.by} onChange=${(e) => setForm({ ...form, by: e.currentTarget.value })}>
          <option value="id">message id</option>
          <option value="key">key (business key)</option>
        </select>
      </label>
      <input name="value" required placeholder="message id or key" value=${form.value} onInput=${(e) => setForm({ ...form, value: e.currentTarget.value })} />
      <button type="submit">Show</button>
    </form>
    ${value && html`<${Lookup} key=${`${by}:${value}`} by=${by} value=${value} />`}
  </section>`;
}
