// One stored message, as the messages and dead-letter pages expand it.
import { Link, formatBytes, formatTime, html } from '../ui.js';

export function MessageDetail({ message }) {
  const m = message;
  const rows = [
    ['Message id', html`<${Link} to=${`/timeline?id=${encodeURIComponent(m.messageId)}`}>${m.messageId}</${Link}> (timeline)`],
    ['Record', m.recordType],
    ['Topic / queue / offset', `${m.topic} / ${m.queueId} / ${m.queueOffset}`],
    ['Commit-log offset', `${m.commitLogOffset} (${formatBytes(m.sizeBytes)})`],
    ['Born', formatTime(m.bornTimestampMs)],
    ['Stored', formatTime(m.storeTimestampMs)],
    ['Tag', m.tag ?? '-'],
    ['Keys', m.keys.join(', ') || '-'],
    ['Message group', m.messageGroup ?? '-'],
    ['Delivery time', m.deliveryTimestampMs ? formatTime(m.deliveryTimestampMs) : '-'],
  ];
  return html`<div class="message-detail" data-testid="message-detail">
    <dl>
      ${rows.map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
    </dl>
    <h4>Properties</h4>
    <dl>
      ${Object.entries(m.properties).map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
    </dl>
    <h4>Body (${formatBytes(m.bodySizeBytes)}${m.bodyPreviewTruncated ? ', first bytes' : ''})</h4>
    <pre data-testid="message-body">${m.bodyUtf8Preview}</pre>
  </div>`;
}
