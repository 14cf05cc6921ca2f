// @ts-check
// The API's answers and bodies as JSDoc types, after ../shared/API.md (money is a decimal
// string, times are ISO 8601 strings). Only types: endpoints.js and session.js import them in
// JSDoc (`@import`), so the browser never loads this module.

/** @typedef {string} Decimal a decimal amount as a string, e.g. "12.500000" (never a float) */
/** @typedef {string} IsoTime an ISO 8601 time, e.g. "2026-01-31T12:00:00Z" */
/** @typedef {"day" | "week" | "month" | "none"} QuotaPeriod */

/**
 * A page of a list; `next_cursor` is absent (or null) on the last page.
 * @template T
 * @typedef {{ items: T[], next_cursor?: string | null }} Page
 */

/** @typedef {{ access_token: string, refresh_token: string, token_type: string, expires_in: number }} TokenPair */
/** @typedef {{ plan?: string | null, expires_at?: IsoTime | null, auto_renew?: boolean }} Membership */
/**
 * @typedef {{ user_id: string, username: string, email: string, role: string, status: string,
 *   membership?: Membership, created_at?: IsoTime }} Me
 */
/** @typedef {{ secret: string, provisioning_uri: string, qr_svg?: string }} TotpSecret */
/** @typedef {{ user_id: string, status: string, totp: TotpSecret }} Registration */
/** @typedef {{ status: string, recovery_codes: string[], api_key?: string }} ActivatedAccount */
/** @typedef {{ recovery_codes: string[] }} RecoveryCodes */

/** @typedef {{ available: Decimal, held: Decimal, currency: string, by_provider: { provider: string, spent: Decimal }[] }} Balance */
/** @typedef {{ entry_id: string, type: string, amount: Decimal, balance_after: Decimal, ref?: string | null, created_at: IsoTime }} LedgerEntry */
/** @typedef {{ amount: Decimal, available: Decimal }} Redemption */
/** @typedef {{ membership: Membership, available: Decimal }} Renewal */

/** @typedef {{ key_id: string, prefix: string, status: string, created_at: IsoTime, last_used_at?: IsoTime | null }} KeySummary */
/**
 * @typedef {{ quota_id: string, group: string, period: QuotaPeriod, limit_cost?: Decimal | null,
 *   limit_tokens?: number | null, rpm?: number | null, used_cost: Decimal, used_tokens: number,
 *   period_start?: IsoTime | null, period_end?: IsoTime | null, key?: KeySummary }} MyQuota
 */
/** @typedef {{ key_id: string, key: string, prefix: string }} NewKey */

/**
 * @typedef {{ request_id: string, model: string, provider: string, input_tokens: number, output_tokens: number,
 *   cost: Decimal, status: number | string, outcome?: string, latency_ms?: number | null, ip?: string,
 *   endpoint?: string, created_at: IsoTime }} UsageRecord
 */
/** @typedef {{ requests: number, input_tokens: number, output_tokens: number, cost: Decimal }} UsageTotals */
/** @typedef {UsageTotals & { key: string }} UsageGroup */
/** @typedef {{ items: UsageGroup[], totals: UsageTotals }} UsageStatistics */
/** @typedef {{ from: string, to: string }} DayRange whole UTC days "YYYY-MM-DD", both ends included */

/** @typedef {{ at: IsoTime, ip: string, user_agent?: string, success: boolean, reason?: string }} LoginAttempt */
/** @typedef {{ ip: string, first_seen: IsoTime, last_seen: IsoTime, count: number }} IpRecord */
/** @typedef {{ log_id: string, type: string, action: string, ip?: string, detail?: unknown, created_at: IsoTime }} LogEntry */
/** @typedef {{ type?: string, from?: IsoTime, to?: IsoTime, cursor?: string }} LogQuery */

/**
 * An admin row as the API returns it: the fields a page reads are named, others pass through.
 * @typedef {Record<string, any>} AdminRecord
 */
/** @typedef {Record<string, unknown>} Fields a create or update body, as the admin form produced it */
/** @typedef {{ ok: boolean, latency_ms?: number | null, detail?: string }} ProviderTest */
/** @typedef {{ amount: Decimal, currency: string, checked_at: IsoTime }} ProviderBalance a provider's remaining credit, in its currency */
/**
 * @typedef {{ provider_id: string, name: string, type: string, base_url: string, api_key_hint: string,
 *   balance_kind: string | null, low_balance_threshold: Decimal | null, balance: ProviderBalance | null,
 *   created_at: IsoTime, updated_at: IsoTime }} OwnProvider
 */
/** @typedef {{ added: number | string[], updated: number | string[], unchanged: number | string[] }} ModelSync */
/** @typedef {{ key: string, quota_id?: string, group?: string, prefix?: string }} ResetKey */
/** @typedef {{ batch_id: string, amount: Decimal, codes: string[] }} CodeBatch */
/** @typedef {{ code_id: string, status: string, redeemed_by?: string | null, redeemed_at?: IsoTime | null }} CodeState */
/** @typedef {UsageGroup & { name?: string | null, user_id?: string | null }} TopItem */
/** @typedef {{ at: IsoTime, ok: boolean, latency_ms: number, error?: string | null }} HealthCheck */
/**
 * @typedef {{ name: string, healthy: boolean, last_error?: string | null, checked_at?: IsoTime | null,
 *   latency_ms?: number | null, history: HealthCheck[] }} ProviderHealth
 */
/**
 * @typedef {{ totals: UsageTotals & { users: number, active_users: number, active_keys: number },
 *   top_users: TopItem[], top_models: TopItem[], top_providers: TopItem[],
 *   by_day: { day: string, requests: number, cost: Decimal }[], providers: ProviderHealth[] }} AdminOverview
 */

export {};
