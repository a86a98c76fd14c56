//! Apps with priced actions, inserted directly for tests that are about something else (the apps API
//! has its own tests).

use fairydust_entities::{app_actions, apps, now};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use uuid::Uuid;

use crate::TestApp;

impl TestApp {
    /// An approved, active app owned by `builder_id`, with `actions` as (name, DUST price).
    pub async fn priced_app(&self, builder_id: Uuid, actions: &[(&str, i32)]) -> apps::Model {
        let at = now();
        let id = Uuid::now_v7();
        let app = apps::ActiveModel {
            id: Set(id),
            builder_id: Set(builder_id),
            name: Set("Test app".into()),
            slug: Set(format!("test-app-{}", &id.simple().to_string()[20..])),
            description: Set("An app for tests".into()),
            category: Set(apps::AppCategory::Other),
            icon_url: Set(None),
            website_url: Set(None),
            demo_url: Set(None),
            callback_url: Set(None),
            status: Set(apps::AppStatus::Approved),
            is_active: Set(true),
            admin_notes: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(&self.db)
        .await
        .expect("app inserted");
        for (action, cost) in actions {
            app_actions::ActiveModel {
                id: Set(Uuid::now_v7()),
                app_id: Set(id),
                action: Set((*action).into()),
                dust_cost: Set(*cost),
                description: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&self.db)
            .await
            .expect("action inserted");
        }
        app
    }
}
