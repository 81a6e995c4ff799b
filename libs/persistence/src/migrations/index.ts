import { Foundation1795935907636 } from './1795935907636-Foundation';

/** In order. Never edit one that has shipped: add a new one. */
export const MIGRATIONS = [Foundation1795935907636];
