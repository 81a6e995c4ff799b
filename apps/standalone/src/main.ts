import 'reflect-metadata';
import { runMain } from '@app/http/run-main';

void runMain('standalone');
