/**
 * Injection tokens of the broker's Nest module. Symbols, not classes, because MessageStore is an
 * interface with two implementations and BrokerConfig is a plain object.
 */
export const MESSAGE_STORE = Symbol('MESSAGE_STORE');
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
