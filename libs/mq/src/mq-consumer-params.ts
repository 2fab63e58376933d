import { ParamData, PipeTransform, Type } from '@nestjs/common';
import { ParamsFactory } from '@nestjs/core/helpers/external-context-creator';
import { MqMessage } from './mq-message';

/**
 * Handler parameters of @MqConsumer methods, stored under their own key in the shape Nest's
 * ExternalContextCreator reads (`"<type>:<index>" -> { index, data, pipes }`): that is what makes
 * pipes run on them. A method without any gets the whole MqMessage as its first argument.
 */
export const MQ_CONSUMER_ARGS_METADATA = 'app/mq:consumer-args';

export enum MqParamtype {
  MESSAGE = 0,
  PAYLOAD = 1,
}

type ArgsMetadata = Record<string, { index: number; data?: string; pipes: Array<Type<PipeTransform> | PipeTransform> }>;

function assignParam(type: MqParamtype, data: string | undefined, pipes: Array<Type<PipeTransform> | PipeTransform>): ParameterDecorator {
  return (target, methodName, index) => {
    if (methodName === undefined) return;
    const args = (Reflect.getMetadata(MQ_CONSUMER_ARGS_METADATA, target.constructor, methodName) ?? {}) as ArgsMetadata;
    Reflect.defineMetadata(MQ_CONSUMER_ARGS_METADATA, { ...args, [`${type}:${index}`]: { index, data, pipes } }, target.constructor, methodName);
  };
}

/** The decoded payload (or one property of it), through the given pipes: `@MqPayload(new ValidationPipe())`. */
export function MqPayload(...pipes: Array<Type<PipeTransform> | PipeTransform>): ParameterDecorator;
export function MqPayload(property: string, ...pipes: Array<Type<PipeTransform> | PipeTransform>): ParameterDecorator;
export function MqPayload(
  propertyOrPipe?: string | Type<PipeTransform> | PipeTransform,
  ...pipes: Array<Type<PipeTransform> | PipeTransform>
): ParameterDecorator {
  if (typeof propertyOrPipe === 'string') return assignParam(MqParamtype.PAYLOAD, propertyOrPipe, pipes);
  return assignParam(MqParamtype.PAYLOAD, undefined, propertyOrPipe === undefined ? pipes : [propertyOrPipe, ...pipes]);
}

/** The whole MqMessage (ids, keys, tag, delivery attempt, properties...), through the given pipes. */
export function MqMessageParam(...pipes: Array<Type<PipeTransform> | PipeTransform>): ParameterDecorator {
  return assignParam(MqParamtype.MESSAGE, undefined, pipes);
}

/** Gives a method without parameter decorators the message as its first parameter (pipes then see it). */
export function ensureDefaultParams(host: object, methodName: string): void {
  if (Reflect.getMetadata(MQ_CONSUMER_ARGS_METADATA, host.constructor, methodName)) return;
  const defaults: ArgsMetadata = { [`${MqParamtype.MESSAGE}:0`]: { index: 0, data: undefined, pipes: [] } };
  Reflect.defineMetadata(MQ_CONSUMER_ARGS_METADATA, defaults, host.constructor, methodName);
}

/** Extracts a parameter's value from the handler's arguments (`[message]`). */
export const mqParamsFactory: ParamsFactory = {
  exchangeKeyForValue(type: number, data: ParamData, args: unknown[]): unknown {
    const message = args[0] as MqMessage;
    if (type !== (MqParamtype.PAYLOAD as number)) return message;
    return typeof data === 'string' && data && message.payload && typeof message.payload === 'object'
      ? (message.payload as Record<string, unknown>)[data]
      : message.payload;
  },
};
