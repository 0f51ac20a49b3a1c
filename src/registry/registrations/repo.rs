//! Queries on registration applications.

use entities::registration_application as application;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub async fn insert(db: &impl ConnectionTrait, model: application::Model) -> Result<(), DbErr> {
    application::Entity::insert(model.into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find_by_id(id).one(db).await
}

/// Saves every field if the stored version is still `expected_version`; returns whether it was.
pub async fn save_if_version(
    db: &impl ConnectionTrait,
    model: application::Model,
    expected_version: i32,
) -> Result<bool, DbErr> {
    let id = model.id;
    let result = application::Entity::update_many()
        .set(model.into_active_model().reset_all())
        .filter(application::Column::Id.eq(id))
        .filter(application::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[derive(Debug, Default)]
pub struct RegistrationFilter {
    /// Applications of these tenants that are past the draft stage.
    pub tenants: Option<Vec<Uuid>>,
    /// Or: every application of this applicant.
    pub applicant: Option<Uuid>,
    pub status: Option<String>,
    pub before_id: Option<Uuid>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: RegistrationFilter,
    limit: u64,
) -> Result<Vec<application::Model>, DbErr> {
    let mut visible = Condition::any();
    if let Some(tenants) = filter.tenants {
        visible = visible.add(
            Condition::all()
                .add(application::Column::TenantId.is_in(tenants))
                .add(application::Column::Status.ne("draft")),
        );
    }
    if let Some(applicant) = filter.applicant {
        visible = visible.add(application::Column::ApplicantUserId.eq(applicant));
    }
    let mut condition = Condition::all().add(visible);
    if let Some(status) = filter.status {
        condition = condition.add(application::Column::Status.eq(status));
    }
    if let Some(before) = filter.before_id {
        condition = condition.add(application::Column::Id.lt(before));
    }
    application::Entity::find()
        .filter(condition)
        .order_by_desc(application::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
