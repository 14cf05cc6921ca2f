// @ts-check
// Every API route the portal calls, one function each, named for what it does. Pages call these
// and never spell a path; the shapes they take and return are in shapes.js. The HTTP work
// (token, refresh, errors) is api.js's.
import { api } from "./api.js";
import { apiBase, proxyBase } from "./config.js";

/**
 * @import { ActivatedAccount, AdminOverview, AdminRecord, Balance, CodeBatch, CodeState, DayRange, Decimal, Fields,
 *   IpRecord, IsoTime, LedgerEntry, LogEntry, LogQuery, LoginAttempt, Me, ModelSync, MyQuota, NewKey, OwnProvider,
 *   Page, ProviderTest, RecoveryCodes, Redemption, Registration, Renewal, ResetKey, TokenPair,
 *   TotpSecret, UsageRecord, UsageStatistics } from "./shapes.js"
 */

const segment = encodeURIComponent;

/** Where the API's OpenAPI document is (GET /api/openapi.json), for the reference page (docs.html). */
export function openApiDocumentUrl() {
  return `${apiBase()}/api/openapi.json`;
}

// Account: registration, login, the signed-in user, second factor.

/**
 * Registers an account; it stays pending until the first TOTP code confirms the authenticator.
 * @param {{ username: string, email: string, password: string }} account
 * @returns {Promise<Registration>}
 */
export function register(account) {
  return api("/api/register", { method: "POST", auth: false, body: account });
}

/**
 * Activates a pending account with a code from its new authenticator.
 * @param {{ username: string, password: string, code: string }} confirmation
 * @returns {Promise<ActivatedAccount>} the recovery codes, shown once
 */
export function verifyRegistration(confirmation) {
  return api("/api/register/verify", { method: "POST", auth: false, body: confirmation });
}

/**
 * Signs in with a password and either a TOTP code or a recovery code.
 * @param {{ username: string, password: string, totp_code?: string, recovery_code?: string }} credentials
 * @returns {Promise<TokenPair>}
 */
export function login(credentials) {
  return api("/api/login", { method: "POST", auth: false, body: credentials });
}

/** @returns {Promise<Me>} the signed-in user */
export function fetchMe() {
  return api("/api/me");
}

/** Starts replacing the authenticator: a new secret, active only once confirmed. @returns {Promise<TotpSecret>} */
export function startTotpRotation() {
  return api("/api/totp/secret");
}

/**
 * Confirms the new authenticator with its first code.
 * @param {string} code six digits
 * @returns {Promise<unknown>}
 */
export function confirmTotpRotation(code) {
  return api("/api/totp/enable", { method: "POST", body: { code } });
}

/**
 * Replaces the recovery codes (the old ones stop working).
 * @param {{ password: string, code: string }} proof
 * @returns {Promise<RecoveryCodes>}
 */
export function renewRecoveryCodes(proof) {
  return api("/api/recovery-codes", { method: "POST", body: proof });
}

/**
 * Changes the password; every other session of the user ends.
 * @param {{ current_password: string, new_password: string, code: string }} change
 * @returns {Promise<unknown>}
 */
export function changePassword(change) {
  return api("/api/password/change", { method: "POST", body: change });
}

/**
 * Sets a new password with a one-time token an admin issued (works once, expires).
 * @param {{ username: string, reset_token: string, new_password: string, code: string }} reset
 * @returns {Promise<unknown>}
 */
export function resetPassword(reset) {
  return api("/api/password/reset", { method: "POST", auth: false, body: reset });
}

/** @returns {Promise<Page<LoginAttempt>>} */
export function listLoginHistory() {
  return api("/api/security/login-history");
}

/** @returns {Promise<Page<IpRecord>>} */
export function listIpRecords() {
  return api("/api/security/ip-records");
}

// Balance and membership.

/** @returns {Promise<Balance>} */
export function fetchBalance() {
  return api("/api/balance");
}

/**
 * @param {{ cursor?: string, limit?: number }} page
 * @returns {Promise<Page<LedgerEntry>>}
 */
export function listBalanceHistory(page) {
  return api("/api/balance/history", { query: page });
}

/**
 * Redeems a code into the balance (a code works once).
 * @param {string} code
 * @returns {Promise<Redemption>}
 */
export function redeemCode(code) {
  return api("/api/balance/redeem", { method: "POST", body: { code } });
}

/**
 * Buys a membership period from the balance (402 when the balance is short).
 * @param {string} plan the plan's name or id
 * @returns {Promise<Renewal>}
 */
export function renewMembership(plan) {
  return api("/api/balance/renew", { method: "POST", body: { plan } });
}

/**
 * @param {boolean} enabled
 * @returns {Promise<unknown>}
 */
export function setAutoRenew(enabled) {
  return api("/api/membership/auto-renew", { method: "PUT", body: { enabled } });
}

/**
 * The membership plans a user can buy, with their prices, cheapest first.
 * @returns {Promise<{ items: Array<{ plan: string, plan_id: string, price: Decimal, period: string, days: number | null, description: string }> }>}
 */
export function listOfferedPlans() {
  return api("/api/plans");
}

// Notifications of the signed-in user.

/**
 * Quota warnings, low balance and membership notices, newest first, with the unread count.
 * @returns {Promise<{ items: Array<{ notification_id: string, kind: string, message: string, detail: Fields, created_at: IsoTime, read: boolean }>, unread: number }>}
 */
export function listNotifications() {
  return api("/api/notifications");
}

/** Marks one notification read. @param {string} notificationId @returns {Promise<unknown>} */
export function markNotificationRead(notificationId) {
  return api(`/api/notifications/${segment(notificationId)}/read`, { method: "POST" });
}

/** The low-balance threshold (null: no notice). @returns {Promise<{ low_balance_threshold: Decimal | null }>} */
export function fetchNotificationSettings() {
  return api("/api/notifications/settings");
}

/**
 * Sets the balance below which the user is notified once (null turns the notice off).
 * @param {{ low_balance_threshold: Decimal | null }} settings
 * @returns {Promise<{ low_balance_threshold: Decimal | null }>}
 */
export function saveNotificationSettings(settings) {
  return api("/api/notifications/settings", { method: "PUT", body: settings });
}

// The signed-in user's own providers (bring your own key): `<name>/<model>` on /v1 uses them.

/** @returns {Promise<Page<OwnProvider>>} the user's own providers with their last known balance */
export function listMyProviders() {
  return api("/api/my/providers");
}

/**
 * Adds an own provider; the key is stored encrypted and never shown again (only its hint).
 * @param {Fields} provider name, type, base_url, api_key, balance_kind?, low_balance_threshold?
 * @returns {Promise<OwnProvider>}
 */
export function createMyProvider(provider) {
  return api("/api/my/providers", { method: "POST", body: provider });
}

/** @param {string} providerId @param {Fields} changes @returns {Promise<OwnProvider>} */
export function updateMyProvider(providerId, changes) {
  return api(`/api/my/providers/${segment(providerId)}`, { method: "PUT", body: changes });
}

/** Removes the provider and its encrypted key. @param {string} providerId @returns {Promise<unknown>} */
export function deleteMyProvider(providerId) {
  return api(`/api/my/providers/${segment(providerId)}`, { method: "DELETE" });
}

/** One real call to the provider with the user's key. @param {string} providerId @returns {Promise<ProviderTest>} */
export function testMyProvider(providerId) {
  return api(`/api/my/providers/${segment(providerId)}/test`, { method: "POST" });
}

/** Reads the provider's remaining credit now. @param {string} providerId @returns {Promise<OwnProvider>} */
export function refreshMyProviderBalance(providerId) {
  return api(`/api/my/providers/${segment(providerId)}/balance`, { method: "POST" });
}

/** The models the provider lists. @param {string} providerId @returns {Promise<{ items: string[] }>} */
export function listMyProviderModels(providerId) {
  return api(`/api/my/providers/${segment(providerId)}/models`);
}

// Keys, usage and logs of the signed-in user.

/** @returns {Promise<Page<MyQuota>>} */
export function listMyQuotas() {
  return api("/api/quotas");
}

/**
 * Replaces the key of one of the user's quotas; the old key stops working at once.
 * @param {string} quotaId
 * @returns {Promise<NewKey>} the key, shown only here
 */
export function resetMyQuotaKey(quotaId) {
  return api(`/api/quotas/${segment(quotaId)}/reset-key`, { method: "POST" });
}

/**
 * The models a proxy key may use (the proxy's /v1/models, authenticated by that key).
 * @param {string} key
 * @returns {Promise<string[]>} model ids
 */
export async function listModelsOfKey(key) {
  const res = await fetch(`${proxyBase()}/models`, { headers: { Authorization: `Bearer ${key}` }, cache: "no-store", credentials: "omit" });
  if (!res.ok) return [];
  const body = await res.json();
  return Array.isArray(body.data) ? body.data.map((/** @type {{ id: string }} */ m) => m.id) : [];
}

/**
 * @param {{ cursor?: string, limit?: number, model?: string }} query
 * @returns {Promise<Page<UsageRecord>>}
 */
export function listUsageHistory(query) {
  return api("/api/usage/history", { query });
}

/**
 * @param {DayRange & { group_by: "model" | "provider" | "day" | "key" | "endpoint" }} query
 * @returns {Promise<UsageStatistics>}
 */
export function fetchUsageStatistics(query) {
  return api("/api/usage/statistics", { query });
}

/**
 * The usage records of a day range as CSV.
 * @param {DayRange} range
 * @returns {Promise<Blob>}
 */
export async function exportUsageCsv(range) {
  /** @type {Response} */
  const res = await api("/api/usage/export.csv", { query: range, raw: true, accept: "text/csv" });
  return res.blob();
}

/**
 * @param {LogQuery} query
 * @returns {Promise<Page<LogEntry>>}
 */
export function listLogs(query) {
  return api("/api/logs", { query });
}

// Admin: users.

/**
 * @param {{ cursor?: string, q?: string }} query
 * @returns {Promise<Page<AdminRecord>>}
 */
export function listUsers(query) {
  return api("/api/admin/users", { query });
}

/**
 * @param {string} userId
 * @param {"active" | "disabled"} status
 * @returns {Promise<AdminRecord>}
 */
export function setUserStatus(userId, status) {
  return api(`/api/admin/users/${segment(userId)}`, { method: "PUT", body: { status } });
}

/**
 * Credits a user's balance (a ledger entry).
 * @param {string} userId
 * @param {{ amount: Decimal, note?: string }} topup
 * @returns {Promise<unknown>}
 */
export function topUpUser(userId, topup) {
  return api(`/api/admin/users/${segment(userId)}/topup`, { method: "POST", body: topup });
}

/**
 * Replaces every key of a user.
 * @param {string} userId
 * @returns {Promise<{ keys?: ResetKey[], items?: ResetKey[] }>} the new keys, shown once
 */
export function resetAllKeysOfUser(userId) {
  return api(`/api/admin/users/${segment(userId)}/reset-all-keys`, { method: "POST" });
}

/**
 * Ends a user's sign-in lock at once.
 * @param {string} userId
 * @returns {Promise<unknown>}
 */
export function unlockUser(userId) {
  return api(`/api/admin/users/${segment(userId)}/unlock`, { method: "POST" });
}

/**
 * Forgets a user's authenticator and recovery codes; they enrol a new one at next login.
 * @param {string} userId
 * @returns {Promise<unknown>}
 */
export function resetUserTotp(userId) {
  return api(`/api/admin/users/${segment(userId)}/reset-totp`, { method: "POST" });
}

/**
 * Issues a one-time password-reset token for the user, shown once.
 * @param {string} userId
 * @returns {Promise<{ reset_token: string, expires_at: IsoTime }>}
 */
export function issuePasswordResetToken(userId) {
  return api(`/api/admin/users/${segment(userId)}/password-reset-token`, { method: "POST" });
}

// Admin: providers.

/** @param {{ cursor?: string }} [query] @returns {Promise<Page<AdminRecord>>} */
export function listProviders(query) {
  return api("/api/admin/providers", { query });
}

/** @param {Fields} provider name, type, base_url, api_key (write-only) @returns {Promise<AdminRecord>} */
export function createProvider(provider) {
  return api("/api/admin/providers", { method: "POST", body: provider });
}

/** @param {string} providerId @param {Fields} changes @returns {Promise<AdminRecord>} */
export function updateProvider(providerId, changes) {
  return api(`/api/admin/providers/${segment(providerId)}`, { method: "PUT", body: changes });
}

/** @param {string} providerId @returns {Promise<null>} */
export function deleteProvider(providerId) {
  return api(`/api/admin/providers/${segment(providerId)}`, { method: "DELETE" });
}

/** Calls the upstream once. @param {string} providerId @returns {Promise<ProviderTest>} */
export function testProvider(providerId) {
  return api(`/api/admin/providers/${segment(providerId)}/test`, { method: "POST" });
}

/** Adds the upstream's models to the catalogue. @param {string} providerId @returns {Promise<ModelSync>} */
export function syncProviderModels(providerId) {
  return api(`/api/admin/providers/${segment(providerId)}/sync-models`, { method: "POST" });
}

// Admin: models.

/** @param {{ cursor?: string }} [query] @returns {Promise<Page<AdminRecord>>} */
export function listModels(query) {
  return api("/api/admin/models", { query });
}

/** @param {Fields} model name, provider, upstream_model, prices, capabilities, enabled @returns {Promise<AdminRecord>} */
export function createModel(model) {
  return api("/api/admin/models", { method: "POST", body: model });
}

/** @param {string} modelId @param {Fields} changes @returns {Promise<AdminRecord>} */
export function updateModel(modelId, changes) {
  return api(`/api/admin/models/${segment(modelId)}`, { method: "PUT", body: changes });
}

/** @param {string} modelId @returns {Promise<null>} */
export function deleteModel(modelId) {
  return api(`/api/admin/models/${segment(modelId)}`, { method: "DELETE" });
}

// Admin: model groups.

/** @param {{ cursor?: string }} [query] @returns {Promise<Page<AdminRecord>>} */
export function listGroups(query) {
  return api("/api/admin/groups", { query });
}

/** @param {Fields} group name, models, default_quota @returns {Promise<AdminRecord>} */
export function createGroup(group) {
  return api("/api/admin/groups", { method: "POST", body: group });
}

/** @param {string} groupId @param {Fields} changes @returns {Promise<AdminRecord>} */
export function updateGroup(groupId, changes) {
  return api(`/api/admin/groups/${segment(groupId)}`, { method: "PUT", body: changes });
}

/** @param {string} groupId @returns {Promise<null>} */
export function deleteGroup(groupId) {
  return api(`/api/admin/groups/${segment(groupId)}`, { method: "DELETE" });
}

// Admin: quotas.

/** @param {{ cursor?: string, user_id?: string }} query @returns {Promise<Page<AdminRecord>>} */
export function listQuotas(query) {
  return api("/api/admin/quotas", { query });
}

/** @param {Fields} quota user_id, group, period, limits, warn_at, auto_renew @returns {Promise<AdminRecord>} */
export function createQuota(quota) {
  return api("/api/admin/quotas", { method: "POST", body: quota });
}

/** @param {string} quotaId @param {Fields} changes @returns {Promise<AdminRecord>} */
export function updateQuota(quotaId, changes) {
  return api(`/api/admin/quotas/${segment(quotaId)}`, { method: "PUT", body: changes });
}

/** @param {string} quotaId @returns {Promise<null>} */
export function deleteQuota(quotaId) {
  return api(`/api/admin/quotas/${segment(quotaId)}`, { method: "DELETE" });
}

/** A new key for any user's quota. @param {string} quotaId @returns {Promise<NewKey>} the key, shown once */
export function resetQuotaKey(quotaId) {
  return api(`/api/admin/quotas/${segment(quotaId)}/reset_api_key`, { method: "POST" });
}

// Admin: membership plans and redemption codes.

/** @param {{ cursor?: string }} [query] @returns {Promise<Page<AdminRecord>>} */
export function listPlans(query) {
  return api("/api/admin/plans", { query });
}

/** @param {Fields} plan name, price, period, days @returns {Promise<AdminRecord>} */
export function createPlan(plan) {
  return api("/api/admin/plans", { method: "POST", body: plan });
}

/**
 * Edits a plan; `enabled: false` withdraws it from sale (members keep what they paid for).
 * @param {string} planId
 * @param {Fields} changes name, price, period, days, description, enabled
 * @returns {Promise<AdminRecord>}
 */
export function updatePlan(planId, changes) {
  return api(`/api/admin/plans/${segment(planId)}`, { method: "PUT", body: changes });
}

/** Every unused code of a batch stops working. @param {string} batchId @returns {Promise<{ batch_id: string, revoked: number, revoked_at: IsoTime }>} */
export function revokeCodeBatch(batchId) {
  return api(`/api/admin/codes/${segment(batchId)}/revoke`, { method: "POST" });
}

/** @param {{ cursor?: string }} query @returns {Promise<Page<AdminRecord>>} */
export function listCodeBatches(query) {
  return api("/api/admin/codes", { query });
}

/**
 * Generates a batch of redemption codes.
 * @param {{ count: number, amount: Decimal, expires_at?: IsoTime, note?: string }} batch
 * @returns {Promise<CodeBatch>} the codes, shown once
 */
export function createCodeBatch(batch) {
  return api("/api/admin/codes", { method: "POST", body: batch });
}

/** Whether each code of a batch was redeemed (never the codes). @param {string} batchId @returns {Promise<{ codes: CodeState[] }>} */
export function listCodesOfBatch(batchId) {
  return api(`/api/admin/codes/${segment(batchId)}`);
}

// Admin: overview, statistics and the operation log across users; one quota's usage.

/**
 * Totals, the top users, models and providers by cost, requests per day, and provider health.
 * @param {DayRange} range whole UTC days, both ends included
 * @returns {Promise<AdminOverview>}
 */
export function fetchAdminOverview(range) {
  return api("/api/admin/overview", { query: range });
}

/**
 * Requests, tokens and cost of every user, grouped.
 * @param {DayRange & { group_by?: "user" | "model" | "provider" | "day" | "endpoint" }} query
 * @returns {Promise<UsageStatistics>}
 */
export function fetchAdminUsageStatistics(query) {
  return api("/api/admin/usage/statistics", { query });
}

/**
 * The operation log of every user (or of one), newest first.
 * @param {{ type?: string, user_id?: string, from?: string, to?: string, cursor?: string, limit?: number }} query
 * @returns {Promise<Page<LogEntry>>}
 */
export function listAdminLogs(query) {
  return api("/api/admin/logs", { query });
}

/**
 * One quota's requests, newest first.
 * @param {string} quotaId
 * @param {{ cursor?: string, limit?: number }} [query]
 * @returns {Promise<Page<UsageRecord>>}
 */
export function listQuotaRequests(quotaId, query) {
  return api(`/api/admin/quotas/${segment(quotaId)}/requests`, { query });
}

/**
 * One quota's statistics per model or day.
 * @param {string} quotaId
 * @param {DayRange & { group_by?: "model" | "day" }} query
 * @returns {Promise<UsageStatistics>}
 */
export function fetchQuotaStatistics(quotaId, query) {
  return api(`/api/admin/quotas/${segment(quotaId)}/statistics`, { query });
}
