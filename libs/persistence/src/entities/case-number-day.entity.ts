import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The case register's counter per local day (UTC+8): `last` is the highest number given that day. Raised in the
 * transaction that opens the cases, by exactly how many it opens, so a rolled-back batch gives its numbers back
 * and the day's numbers run 000001..N with no hole.
 */
@Entity('case_number_days')
export class CaseNumberDayEntity {
  @PrimaryColumn('date') day: string;
  @Column('integer') last: number;
}
