import { readFileSync } from 'node:fs';
import { findUp } from './util/find-up.js';

const pkg = JSON.parse(readFileSync(findUp(import.meta.url, ['package.json']), 'utf8')) as {
  name: string;
  version: string;
};

export const PRODUCT_NAME = pkg.name;
export const VERSION = pkg.version;
