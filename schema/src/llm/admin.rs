//! Changing an app's model configuration (its builder or an admin) and the price table (admins).

use fairydust_entities::{Usd, app_model_configs, llm_models, now};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::config::{CostLimits, ModelConfig};
use super::provider::Provider;
use super::{LlmError, pricing, usage};
use crate::admin::audit::{self, AuditEntry};
use crate::apps::{AppsError, catalog, service};
use crate::auth::Principal;
use crate::cache::Cache;
use crate::settings::LlmSettings;

impl From<AppsError> for LlmError {
    fn from(error: AppsError) -> Self {
        match error {
            AppsError::NotFound(what) => LlmError::NotFound(what),
            AppsError::Forbidden(why) => LlmError::Forbidden(why),
            AppsError::Database(e) => LlmError::Database(e),
            AppsError::Cache(e) => LlmError::Cache(e),
            other => LlmError::InvalidInput(other.to_string()),
        }
    }
}

/// Builders may set cost limits up to the platform maxima (or keep higher ones an admin set);
/// admins may set any.
async fn check_platform_maxima(
    db: &DatabaseConnection,
    viewer: &Principal,
    app_id: Uuid,
    limits: &CostLimits,
    settings: &LlmSettings,
) -> Result<(), LlmError> {
    if viewer.roles.admin {
        return Ok(());
    }
    let current = app_model_configs::Entity::find()
        .filter(app_model_configs::Column::AppId.eq(app_id))
        .one(db)
        .await?
        .and_then(|row| ModelConfig::from_row(&row).ok())
        .map(|config| config.cost_limits);
    for (name, value, max, kept) in [
        (
            "perRequestMax",
            limits.per_request_max,
            settings.max_per_request_usd,
            current.map(|c| c.per_request_max),
        ),
        (
            "dailyMax",
            limits.daily_max,
            settings.max_daily_usd,
            current.map(|c| c.daily_max),
        ),
        (
            "monthlyMax",
            limits.monthly_max,
            settings.max_monthly_usd,
            current.map(|c| c.monthly_max),
        ),
    ] {
        if value > max && kept.is_none_or(|kept| value > kept) {
            return Err(LlmError::InvalidInput(format!(
                "costLimits.{name} may be at most {max} USD; ask an admin for more"
            )));
        }
    }
    Ok(())
}

pub async fn set_model_config(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &LlmSettings,
    viewer: &Principal,
    app_id: Uuid,
    config: ModelConfig,
) -> Result<ModelConfig, LlmError> {
    let app = service::editable(db, viewer, app_id).await?;
    config.validate(&pricing::price_table(db).await?)?;
    check_platform_maxima(db, viewer, app_id, &config.cost_limits, settings).await?;
    let at = now();
    let row = app_model_configs::ActiveModel {
        id: Set(Uuid::now_v7()),
        app_id: Set(app_id),
        primary_provider: Set(config.provider.as_str().to_owned()),
        primary_model: Set(config.model.clone()),
        primary_parameters: Set(json!(config.parameters)),
        fallback_models: Set(json!(config.fallbacks)),
        cost_limits: Set(json!(config.cost_limits)),
        feature_flags: Set(json!(config.features)),
        created_at: Set(at),
        updated_at: Set(at),
    };
    use app_model_configs::Column as C;
    let txn = db.begin().await?;
    app_model_configs::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::AppId)
                .update_columns([
                    C::PrimaryProvider,
                    C::PrimaryModel,
                    C::PrimaryParameters,
                    C::FallbackModels,
                    C::CostLimits,
                    C::FeatureFlags,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let after = json!({ "provider": config.provider.as_str(), "model": config.model });
    service::audit_admin_edit(&txn, viewer, &app, "llm.set_model_config", after).await?;
    txn.commit().await?;
    catalog::invalidate(cache, app_id).await?;
    Ok(config)
}

/// A change of the price table: every call is billed from it, so it is audited with a reason.
#[derive(Clone, Debug)]
pub struct PriceChange {
    pub model_id: String,
    /// Needed only to add a new model.
    pub provider: Option<Provider>,
    pub input_usd_per_million: Decimal,
    pub output_usd_per_million: Decimal,
    pub is_active: Option<bool>,
    pub reason: String,
}

/// Sets a model's prices (USD per million tokens), adding the model when `provider` is given.
pub async fn set_model_price(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    admin_id: Uuid,
    change: PriceChange,
) -> Result<llm_models::Model, LlmError> {
    let PriceChange {
        model_id,
        provider,
        input_usd_per_million,
        output_usd_per_million,
        is_active,
        reason,
    } = change;
    let reason = crate::validation::text("reason", &reason, 500).map_err(LlmError::InvalidInput)?;
    let valid_price = |price: Decimal| {
        price >= Decimal::ZERO && price <= Decimal::from(10_000) && price.scale() <= 6
    };
    if !valid_price(input_usd_per_million) || !valid_price(output_usd_per_million) {
        return Err(LlmError::InvalidInput(
            "prices must be 0–10 000 USD per million tokens, at most 6 decimals".into(),
        ));
    }
    let model_id = model_id.trim();
    if model_id.is_empty() || model_id.len() > 100 {
        return Err(LlmError::InvalidInput(
            "modelId must be 1–100 characters".into(),
        ));
    }
    let txn = db.begin().await?;
    let existing = usage::priced_model(&txn, model_id).await?;
    let before = existing.as_ref().map(|m| json!({ "input": m.input_usd_per_million, "output": m.output_usd_per_million, "active": m.is_active }));
    let at = now();
    let saved = match existing {
        Some(model) => {
            if provider.is_some_and(|p| p.as_str() != model.provider) {
                return Err(LlmError::InvalidInput(format!(
                    "{model_id:?} is a {} model",
                    model.provider
                )));
            }
            let mut active = model.into_active_model();
            active.input_usd_per_million = Set(Usd(input_usd_per_million));
            active.output_usd_per_million = Set(Usd(output_usd_per_million));
            if let Some(is_active) = is_active {
                active.is_active = Set(is_active);
            }
            active.updated_at = Set(at);
            sea_orm::ActiveModelTrait::update(active, &txn).await?
        }
        None => {
            let provider = provider
                .ok_or_else(|| LlmError::InvalidInput("a new model needs its provider".into()))?;
            let model = llm_models::Model {
                id: Uuid::now_v7(),
                provider: provider.as_str().to_owned(),
                model_id: model_id.to_owned(),
                input_usd_per_million: Usd(input_usd_per_million),
                output_usd_per_million: Usd(output_usd_per_million),
                is_active: is_active.unwrap_or(true),
                created_at: at,
                updated_at: at,
            };
            llm_models::Entity::insert(model.clone().into_active_model())
                .exec_without_returning(&txn)
                .await?;
            model
        }
    };
    audit::record(
        &txn,
        AuditEntry {
            actor_id: admin_id,
            action: "llm.set_model_price",
            target_type: "llm_model",
            target_id: saved.model_id.clone(),
            before,
            after: Some(json!({ "input": saved.input_usd_per_million, "output": saved.output_usd_per_million, "active": saved.is_active })),
            reason: Some(reason),
        },
    )
    .await?;
    txn.commit().await?;
    super::pricing::forget_cached_table(cache).await?;
    Ok(saved)
}
