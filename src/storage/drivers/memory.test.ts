import { storeConformance } from '../conformance.ts';
import { openMemoryStore } from './memory.ts';

storeConformance('memory', openMemoryStore);
