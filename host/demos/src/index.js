// The index: the navigation bar, and the links keep the page's query (e.g. `ws_uri`).
import { frame } from './common.js';

frame();
for (const link of document.querySelectorAll('.demos a')) link.href += location.search;
