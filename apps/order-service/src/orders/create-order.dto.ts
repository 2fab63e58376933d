import { IsInt, IsNotEmpty, IsPositive, IsString, Max, MaxLength } from 'class-validator';

/** Body of `POST /orders`. */
export class CreateOrderDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  buyerId!: string;

  /** Integer cents; the column is a PostgreSQL integer. */
  @IsInt()
  @IsPositive()
  @Max(2_147_483_647)
  amount!: number;
}
