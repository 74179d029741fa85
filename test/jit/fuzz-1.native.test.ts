import { defineFuzzRun } from './fuzz-support.js';

// Part 1 of 4 of the CI differential run: 4 x 5,000 = 20,000 programs (issue 5).
defineFuzzRun(0, 5000);
