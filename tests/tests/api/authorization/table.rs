//! Who may call what: one row per root field of the SDL. Columns, in order: anonymous, a signed-in user,
//! the owner of the resource named, a builder, the builder who owns the app named, an admin.
//!
//! `Allowed` means the call got past authorization (it may still fail validation or a business rule);
//! `Refused` is FORBIDDEN, or NOT_FOUND for something that exists but is not the caller's to see.

use super::Outcome::{self, Allowed, Refused, Unauthenticated};

pub type Access = [Outcome; 6];

pub const ANYONE: Access = [Allowed; 6];
pub const SIGNED_IN: Access = [Unauthenticated, Allowed, Allowed, Allowed, Allowed, Allowed];
pub const OWNER_OR_ADMIN: Access = [Unauthenticated, Refused, Allowed, Refused, Refused, Allowed];
pub const OWNER: Access = [Unauthenticated, Refused, Allowed, Refused, Refused, Refused];
pub const BUILDERS: Access = [Unauthenticated, Refused, Refused, Allowed, Allowed, Allowed];
pub const APP_OWNER_OR_ADMIN: Access =
    [Unauthenticated, Refused, Refused, Refused, Allowed, Allowed];
pub const ADMIN: Access = [Unauthenticated, Refused, Refused, Refused, Refused, Allowed];
/// Answers only to the portal's refresh cookie (the matrix sends none): a bearer token never counts.
pub const PORTAL_COOKIE: Access = [Unauthenticated; 6];

pub struct Rule {
    /// `Query.me`, `Mutation.consumeDust`, `Subscription.dustBalanceChanged`.
    pub field: &'static str,
    /// The call, using the world's variables (`$owner`, `$app`, `$recipe`, … see `world.rs`).
    pub document: &'static str,
    pub access: Access,
}

const fn rule(field: &'static str, document: &'static str, access: Access) -> Rule {
    Rule {
        field,
        document,
        access,
    }
}

pub const TABLE: &[Rule] = &[
    // Queries
    rule("Query.version", "{ version }", ANYONE),
    rule("Query.health", "{ health { status } }", ANYONE),
    rule("Query.me", "{ me { id } }", SIGNED_IN),
    rule("Query.sessions", "{ sessions { id } }", SIGNED_IN),
    rule(
        "Query.user",
        "query($owner: ID!) { user(id: $owner) { fairyname } }",
        ANYONE,
    ),
    rule(
        "Query.aiContext",
        "query($appSlug: ID!) { aiContext(appId: $appSlug) { __typename } }",
        SIGNED_IN,
    ),
    rule(
        "Query.checkDust",
        "query($app: ID!) { checkDust(appId: $app, action: \"use\") { sufficient } }",
        SIGNED_IN,
    ),
    rule(
        "Query.ledgerAudit",
        "{ ledgerAudit { checkedUsers } }",
        ADMIN,
    ),
    rule(
        "Query.appDustAnalytics",
        "query($app: ID!, $from: DateTime!, $to: DateTime!) { appDustAnalytics(appId: $app, from: $from, to: $to) { __typename } }",
        APP_OWNER_OR_ADMIN,
    ),
    rule("Query.apps", "{ apps(first: 5) { totalCount } }", ANYONE),
    rule(
        "Query.app",
        "query($app: ID!) { app(id: $app) { name } }",
        ANYONE,
    ),
    rule("Query.myApps", "{ myApps { id } }", SIGNED_IN),
    rule("Query.llmModels", "{ llmModels { modelId } }", ANYONE),
    rule(
        "Query.estimateLlmCost",
        "{ estimateLlmCost(model: \"gpt-4o-mini\", promptTokens: 100, maxTokens: 100) { totalCostUsd } }",
        ANYONE,
    ),
    rule(
        "Query.slugAvailable",
        "{ slugAvailable(slug: \"some-new-app\") { available } }",
        SIGNED_IN,
    ),
    rule(
        "Query.llmUsage",
        "query($app: ID!, $from: DateTime!, $to: DateTime!) { llmUsage(appId: $app, from: $from, to: $to) { __typename } }",
        APP_OWNER_OR_ADMIN,
    ),
    rule(
        "Query.llmAnalytics",
        "query($from: DateTime!, $to: DateTime!) { llmAnalytics(from: $from, to: $to) { __typename } }",
        ADMIN,
    ),
    rule(
        "Query.recipe",
        "query($recipe: ID!) { recipe(id: $recipe) { title } }",
        OWNER_OR_ADMIN,
    ),
    rule(
        "Query.story",
        "query($story: ID!) { story(id: $story) { title } }",
        OWNER_OR_ADMIN,
    ),
    rule(
        "Query.profilingQuestions",
        "query($appSlug: ID!) { profilingQuestions(appId: $appSlug) { id } }",
        SIGNED_IN,
    ),
    rule("Query.myAnswers", "{ myAnswers { __typename } }", SIGNED_IN),
    rule(
        "Query.questionStats",
        "{ questionStats { __typename } }",
        ADMIN,
    ),
    // The admin console
    rule("Query.users", "{ users(first: 5) { totalCount } }", ADMIN),
    rule(
        "Query.adminApps",
        "{ adminApps(first: 5) { totalCount } }",
        ADMIN,
    ),
    rule(
        "Query.appStatusCounts",
        "{ appStatusCounts { __typename } }",
        ADMIN,
    ),
    rule(
        "Query.platformStats",
        "query($from: DateTime!, $to: DateTime!) { platformStats(from: $from, to: $to) { __typename } }",
        ADMIN,
    ),
    rule(
        "Query.transactions",
        "{ transactions(first: 5) { totalCount } }",
        ADMIN,
    ),
    rule(
        "Query.transaction",
        "query($transaction: ID!) { transaction(id: $transaction) { amount } }",
        ADMIN,
    ),
    rule(
        "Query.adminAuditLog",
        "{ adminAuditLog(first: 5) { totalCount } }",
        ADMIN,
    ),
    // Sign-in and sessions
    rule(
        "Mutation.requestOtp",
        "mutation($newEmail: String!) { requestOtp(input: {email: $newEmail}) { sentTo } }",
        ANYONE,
    ),
    rule(
        "Mutation.verifyOtp",
        "mutation($email: String!, $code: String!) { verifyOtp(input: {email: $email, code: $code}) { isNewUser } }",
        ANYONE,
    ),
    rule(
        "Mutation.refreshSession",
        "mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { expiresIn } }",
        ANYONE,
    ),
    rule("Mutation.signOut", "mutation { signOut }", SIGNED_IN),
    rule(
        "Mutation.verifyOtpForPortal",
        "mutation($email: String!, $code: String!) { verifyOtpForPortal(input: {email: $email, code: $code}) { expiresIn } }",
        ANYONE,
    ),
    rule(
        "Mutation.refreshPortalSession",
        "mutation { refreshPortalSession { expiresIn } }",
        PORTAL_COOKIE,
    ),
    rule(
        "Mutation.signOutPortal",
        "mutation { signOutPortal }",
        ANYONE,
    ),
    rule(
        "Mutation.signOutEverywhere",
        "mutation { signOutEverywhere }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.revokeSession",
        "mutation($session: ID!) { revokeSession(id: $session) }",
        OWNER,
    ),
    rule(
        "Mutation.signInWithOAuth",
        "mutation($idToken: String!, $nonce: String!) { signInWithOAuth(input: {provider: GOOGLE, idToken: $idToken, nonce: $nonce}) { isNewUser } }",
        ANYONE,
    ),
    rule(
        "Mutation.linkOAuth",
        "mutation($idToken: String!, $nonce: String!) { linkOAuth(input: {provider: GOOGLE, idToken: $idToken, nonce: $nonce}) }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.unlinkOAuth",
        "mutation { unlinkOAuth(provider: FACEBOOK) }",
        SIGNED_IN,
    ),
    // Account and profile
    rule(
        "Mutation.updateMe",
        "mutation { updateMe(input: {city: \"Lisbon\"}) { id } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.requestContactChange",
        "mutation($newEmail: String!) { requestContactChange(input: {email: $newEmail}) { sentTo } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.confirmContactChange",
        "mutation($contactCode: String!) { confirmContactChange(code: $contactCode) { id } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.claimDailyBonus",
        "mutation { claimDailyBonus { amount } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.upsertProfileData",
        "mutation { upsertProfileData(items: [{category: \"fun\", fieldName: \"favourite_colour\", fieldValue: \"green\"}]) { fieldName } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.deleteProfileData",
        "mutation { deleteProfileData(fieldName: \"cooking_skill_level\") }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.addPerson",
        "mutation { addPerson(input: {name: \"Grace\"}) { id } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.updatePerson",
        "mutation($person: ID!) { updatePerson(id: $person, input: {name: \"Ada L.\"}) { id } }",
        OWNER,
    ),
    rule(
        "Mutation.removePerson",
        "mutation($person: ID!) { removePerson(id: $person) }",
        OWNER,
    ),
    rule(
        "Mutation.upsertPersonProfileData",
        "mutation($person: ID!) { upsertPersonProfileData(personId: $person, items: [{category: \"fun\", fieldName: \"pet\", fieldValue: \"cat\"}]) { fieldName } }",
        OWNER,
    ),
    // Ledger
    rule(
        "Mutation.consumeDust",
        "mutation($app: ID!, $key: String!) { consumeDust(input: {appId: $app, action: \"use\", idempotencyKey: $key}) { amount } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.grantDust",
        "mutation($owner: ID!) { grantDust(userId: $owner, amount: 5, reason: \"matrix\") { amount } }",
        ADMIN,
    ),
    rule(
        "Mutation.grantDustBulk",
        "mutation($owner: ID!) { grantDustBulk(userIds: [$owner], amount: 5, reason: \"matrix\") { __typename } }",
        ADMIN,
    ),
    rule(
        "Mutation.adjustDust",
        "mutation($owner: ID!) { adjustDust(userId: $owner, delta: -1, reason: \"matrix\") { amount } }",
        ADMIN,
    ),
    rule(
        "Mutation.recordPurchase",
        "mutation($owner: ID!, $key: String!) { recordPurchase(userId: $owner, amount: 100, paymentId: $key, paymentAmountCents: 100) { amount } }",
        ADMIN,
    ),
    rule(
        "Mutation.refundTransaction",
        "mutation($transaction: ID!) { refundTransaction(transactionId: $transaction, reason: \"matrix\") { amount } }",
        ADMIN,
    ),
    // Builders and apps
    rule(
        "Mutation.setAdmin",
        "mutation($owner: ID!) { setAdmin(userId: $owner, isAdmin: true) { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.deactivateUser",
        "mutation($owner: ID!) { deactivateUser(userId: $owner, reason: \"matrix\") { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.reactivateUser",
        "mutation($owner: ID!) { reactivateUser(userId: $owner) { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.revokeUserSessions",
        "mutation($owner: ID!) { revokeUserSessions(userId: $owner) }",
        ADMIN,
    ),
    rule(
        "Mutation.becomeBuilder",
        "mutation { becomeBuilder { id } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.setBuilder",
        "mutation($owner: ID!) { setBuilder(userId: $owner, isBuilder: true) { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.createApp",
        "mutation { createApp(input: {name: \"Matrix app\", description: \"An app\", category: OTHER}) { id } }",
        BUILDERS,
    ),
    rule(
        "Mutation.updateApp",
        "mutation($app: ID!) { updateApp(id: $app, input: {description: \"Changed\"}) { id } }",
        APP_OWNER_OR_ADMIN,
    ),
    rule(
        "Mutation.setAppAction",
        "mutation($app: ID!) { setAppAction(appId: $app, action: \"more\", dustCost: 2) { dustCost } }",
        APP_OWNER_OR_ADMIN,
    ),
    rule(
        "Mutation.removeAppAction",
        "mutation($app: ID!) { removeAppAction(appId: $app, action: \"use\") }",
        APP_OWNER_OR_ADMIN,
    ),
    rule(
        "Mutation.approveApp",
        "mutation($app: ID!) { approveApp(id: $app) { status } }",
        ADMIN,
    ),
    rule(
        "Mutation.rejectApp",
        "mutation($app: ID!) { rejectApp(id: $app, note: \"no\") { status } }",
        ADMIN,
    ),
    rule(
        "Mutation.suspendApp",
        "mutation($app: ID!) { suspendApp(id: $app, note: \"stop\") { status } }",
        ADMIN,
    ),
    rule(
        "Mutation.reactivateApp",
        "mutation($app: ID!) { reactivateApp(id: $app) { status } }",
        ADMIN,
    ),
    // LLM
    rule(
        "Mutation.generateText",
        "mutation($app: ID!, $key: String!) { generateText(input: {appId: $app, action: \"use\", prompt: \"Hi\", idempotencyKey: $key}) { text } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.logLlmUsage",
        "mutation($app: ID!) { logLlmUsage(input: {appId: $app, provider: ANTHROPIC, model: \"claude-3-5-haiku-20241022\", promptTokens: 10, completionTokens: 5, latencyMs: 100}) { id } }",
        APP_OWNER_OR_ADMIN,
    ),
    rule(
        "Mutation.setAppModelConfig",
        "mutation($app: ID!) { setAppModelConfig(appId: $app, input: {provider: OPENAI, model: \"gpt-4o-mini\", parameters: {temperature: 0.5, maxTokens: 100, topP: 1}, costLimits: {perRequestMax: \"0.01\", dailyMax: \"1\", monthlyMax: \"10\"}}) { model } }",
        APP_OWNER_OR_ADMIN,
    ),
    rule(
        "Mutation.setLlmModelPrice",
        "mutation { setLlmModelPrice(modelId: \"gpt-4o-mini\", inputUsdPerMillion: \"0.15\", outputUsdPerMillion: \"0.6\", reason: \"Provider price list\") { modelId } }",
        ADMIN,
    ),
    // Content
    rule(
        "Mutation.saveRecipe",
        "mutation($appSlug: ID!) { saveRecipe(input: {appId: $appSlug, content: \"# Bread\"}) { id } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.updateRecipe",
        "mutation($recipe: ID!) { updateRecipe(id: $recipe, input: {title: \"Better soup\"}) { id } }",
        OWNER,
    ),
    rule(
        "Mutation.deleteRecipe",
        "mutation($recipe: ID!) { deleteRecipe(id: $recipe) }",
        OWNER,
    ),
    rule(
        "Mutation.syncRecipes",
        "mutation { syncRecipes(input: {recipes: []}) { __typename } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.generateStory",
        "mutation($key: String!) { generateStory(input: {genre: FANTASY, length: SHORT, audience: FAMILY, characters: [{character: {name: \"Pip\", relationship: \"hero\"}}], idempotencyKey: $key}) { __typename } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.favoriteStory",
        "mutation($story: ID!) { favoriteStory(id: $story) { id } }",
        OWNER,
    ),
    rule(
        "Mutation.deleteStory",
        "mutation($story: ID!) { deleteStory(id: $story) }",
        OWNER,
    ),
    // Questions
    rule(
        "Mutation.answerQuestions",
        "mutation($question: ID!) { answerQuestions(answers: [{questionId: $question, value: \"cats\"}]) { __typename } }",
        SIGNED_IN,
    ),
    rule(
        "Mutation.createQuestion",
        "mutation { createQuestion(input: {id: \"matrix_question\", category: \"fun\", text: \"Tea?\", type: TEXT, profileField: \"tea\", priority: 1}) { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.updateQuestion",
        "mutation($question: ID!) { updateQuestion(id: $question, input: {priority: 2}) { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.setQuestionActive",
        "mutation($question: ID!) { setQuestionActive(id: $question, active: false) { id } }",
        ADMIN,
    ),
    rule(
        "Mutation.deleteQuestion",
        "mutation($question: ID!) { deleteQuestion(id: $question, reason: \"No longer asked\") }",
        ADMIN,
    ),
    // Subscriptions (run over /graphql/ws)
    rule(
        "Subscription.dustBalanceChanged",
        "subscription { dustBalanceChanged { balance } }",
        SIGNED_IN,
    ),
];
