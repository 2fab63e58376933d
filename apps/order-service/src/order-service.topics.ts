/** Topics and consumer group of order-service (the demo contract of issue 8). */
export const ORDER_CREATED_TOPIC = 'order-created';
export const ORDER_CLOSED_TOPIC = 'order-closed';
export const ORDER_TIMEOUT_TOPIC = 'order-timeout';
export const PAYMENT_SUCCEEDED_TOPIC = 'payment-succeeded';

/** The consumer group of order-service's consumers (payment-succeeded, order-timeout). */
export const ORDER_SERVICE_GROUP = 'order-service';

/** Body of `order-created`. */
export interface OrderCreatedMessage {
  orderId: string;
  buyerId: string;
  amount: number;
}

/** Body of `order-closed` and `order-timeout`. */
export interface OrderIdMessage {
  orderId: string;
}

/** Body of `payment-succeeded` (sent by pay-service). */
export interface PaymentSucceededMessage {
  paymentId: string;
  orderId: string;
  buyerId: string;
  amount: number;
}
