// Development fallback. A deployment (or the local stack) serves its own /config.js with the
// real API base URL; this file only answers when nothing else does.
window.KEYLEDGER_CONFIG = window.KEYLEDGER_CONFIG || { apiBase: "http://127.0.0.1:8000" };
