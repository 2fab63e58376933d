import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/**
 * The service's input validation: unknown properties are refused (whitelist +
 * forbidNonWhitelisted), and a 400 says why as `{ statusCode: 400, reason }`, the shape of every
 * other refusal of the API.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) =>
      new BadRequestException({ statusCode: 400, reason: errors.flatMap(messagesOf).join('; ') || 'invalid request body' }),
  });
}

function messagesOf(error: ValidationError): string[] {
  return [...Object.values(error.constraints ?? {}), ...(error.children ?? []).flatMap(messagesOf)];
}
