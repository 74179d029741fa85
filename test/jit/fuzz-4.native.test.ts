import { defineFuzzRun } from './fuzz-support.js';

// Part 4 of 4 of the CI differential run: 4 x 5,000 = 20,000 programs (issue 5).
defineFuzzRun(15000, 5000);
