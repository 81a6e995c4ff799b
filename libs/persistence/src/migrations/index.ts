import { Foundation1795935907636 } from './1795935907636-Foundation';
import { Classification1795937028055 } from './1795937028055-Classification';

/** In order. Never edit one that has shipped: add a new one. */
export const MIGRATIONS = [Foundation1795935907636, Classification1795937028055];
