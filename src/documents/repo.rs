//! Queries on documents.

use entities::document;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn insert(db: &impl ConnectionTrait, model: document::Model) -> Result<(), DbErr> {
    document::Entity::insert(document::ActiveModel {
        id: Set(model.id),
        tenant_id: Set(model.tenant_id),
        owner_type: Set(model.owner_type),
        owner_id: Set(model.owner_id),
        visibility: Set(model.visibility),
        storage_key: Set(model.storage_key),
        file_name: Set(model.file_name),
        content_type: Set(model.content_type),
        size_bytes: Set(model.size_bytes),
        sha256: Set(model.sha256),
        uploaded_by: Set(model.uploaded_by),
        created_at: Set(model.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<document::Model>, DbErr> {
    document::Entity::find_by_id(id).one(db).await
}

pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(document::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

pub async fn of_owner(
    db: &impl ConnectionTrait,
    owner_type: &str,
    owner_id: &str,
) -> Result<Vec<document::Model>, DbErr> {
    document::Entity::find()
        .filter(document::Column::OwnerType.eq(owner_type))
        .filter(document::Column::OwnerId.eq(owner_id))
        .order_by_desc(document::Column::Id)
        .all(db)
        .await
}

/// Whether the registration application owning a document has left the draft stage.
pub async fn owner_registration_submitted(
    db: &impl ConnectionTrait,
    owner_id: &str,
) -> Result<bool, DbErr> {
    let Ok(id) = Uuid::parse_str(owner_id) else {
        return Ok(false);
    };
    Ok(entities::registration_application::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some_and(|application| application.status != "draft"))
}

/// Whether a disclosure attaches the document or an application holds it as its charter.
pub async fn is_referenced(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let attached = entities::disclosure::Entity::find()
        .filter(entities::disclosure::Column::Attachments.contains(id.to_string()))
        .one(db)
        .await?
        .is_some();
    let charter = entities::registration_application::Entity::find()
        .filter(entities::registration_application::Column::CharterDocumentId.eq(id))
        .one(db)
        .await?
        .is_some();
    let material = entities::evaluation_material::Entity::find()
        .filter(entities::evaluation_material::Column::DocumentId.eq(id))
        .one(db)
        .await?
        .is_some();
    Ok(attached || charter || material)
}
