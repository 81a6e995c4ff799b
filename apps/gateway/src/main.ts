import 'reflect-metadata';
import { runMain } from '@app/runtime';

void runMain('gateway');
