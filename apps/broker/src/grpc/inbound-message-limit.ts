import { BLANK_MIN_SIZE } from '../store/record-codec';

/**
 * Room for a SendMessage request's protobuf framing on top of the record bytes the store takes in
 * one batch. A message costs about as many bytes on the wire as in the log (the proto's field
 * tags, body digest and born host against the record's 54-byte header: a 1 KiB message as the
 * official client sends it is 1,183 bytes in the request and 1,187 in the log), so 1 MiB leaves a
 * batch that fits the store room to spare, while a request the store would refuse anyway is
 * refused before it is read.
 */
export const REQUEST_FRAMING_ALLOWANCE_BYTES = 1024 * 1024;

/**
 * The largest batch the store appends: a batch must fit one commit-log segment, less the room of
 * the BLANK record that closes a segment (the `batch-too-large` check of append-pipeline.ts and
 * memory-message-store.ts).
 */
export function storeBatchLimitBytes(segmentSizeBytes: number): number {
  return segmentSizeBytes - BLANK_MIN_SIZE;
}

/**
 * The gRPC server's max receive message length. grpc-js reads a request's 5-byte length prefix
 * first and fails a longer request with RESOURCE_EXHAUSTED before buffering any of it, as
 * grpc-java does for the proxy's `grpcMaxInboundMessageSize` (130 MiB). Here that setting
 * (`configuredBytes`) is capped at what the store can append plus the framing allowance: a
 * larger request would be read whole, decoded, and only then refused with PAYLOAD_TOO_LARGE,
 * and a few of them at once held hundreds of MiB (issue 18: with 64 MiB segments and the proxy's
 * 130 MiB, eight such requests at once took the broker from 200 MB to 1.3 GB).
 */
export function maxReceiveMessageBytes(configuredBytes: number, segmentSizeBytes: number): number {
  return Math.min(configuredBytes, storeBatchLimitBytes(segmentSizeBytes) + REQUEST_FRAMING_ALLOWANCE_BYTES);
}
