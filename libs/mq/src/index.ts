/**
 * @app/mq: NestJS integration on the official RocketMQ 5 client (DESIGN.md section 2): MqModule,
 * the producer, consumer decorators and the @nestjs/microservices transport. This is the
 * package's public API; later issues fill it, and until then it exports only its version.
 */

/** Version of @app/mq; follows the repository's package.json version. */
export const MQ_VERSION = '0.1.0';
