import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of `POST /payments`. */
export class CreatePaymentDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  orderId!: string;
}
