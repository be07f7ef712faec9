#!/usr/bin/env node
// A thin shim: all behaviour lives in the built code.
import { main } from '../dist/cli/main.js';
main(process.argv);
