import { localise } from './i18n.js';

localise();
