//! `GET /openapi.json`: the OpenAPI 3 description, generated from the code.

use super::{
    breaches, chats, error, events, health, hooks, issues, messages, metrics, notifications, pages, projects,
    reports, views,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "slawatch", description = "SLA monitoring for service teams that answer clients in chat groups: reply within 10 minutes, handle within 2 hours, plan within 1 day."),
    paths(
        events::post_events,
        messages::post_message,
        hooks::platform_hook,
        issues::list_issues,
        issues::get_issue,
        breaches::list_breaches,
        projects::list_projects,
        reports::get_compliance,
        pages::issue::issue_page,
        pages::actions::act,
        pages::board::zone,
        pages::board::project,
        pages::reports::reports,
        pages::login::form,
        pages::login::submit,
        pages::login::logout,
        chats::list_chats,
        notifications::list_notifications,
        notifications::retry_notification,
        health::healthz,
        health::readyz,
        metrics::metrics,
        openapi_json,
    ),
    components(schemas(
        crate::domain::event::EventInput, crate::domain::event::ActorInput,
        crate::domain::event::EventKind, crate::domain::event::Resolution, crate::domain::event::Role, events::EventAccepted, events::BatchResult, events::ItemResult,
        crate::domain::message::MessageInput, crate::domain::message::SenderInput, messages::MessageAnswer, crate::engine::command::ActionTaken,
        views::IssueView, views::StageView, views::EventView, views::BreachView, views::ProjectView,
        reports::ComplianceReport, reports::ComplianceItem, reports::BreachedStage,
        projects::ProjectList, chats::ChatList, chats::ChatView, notifications::NotificationView, health::Health, error::ErrorBody, error::ErrorDetail,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This description.
#[utoipa::path(get, path = "/openapi.json", tag = "health", responses((status = 200, description = "OpenAPI 3 document")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
