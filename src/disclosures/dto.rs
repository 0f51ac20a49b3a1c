//! Disclosure requests and responses.

use crate::types::{Prose, Text};
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use serde::Deserialize;
use uuid::Uuid;

use super::service::{Category, DisclosureView};

/// A disclosure as the public reads it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DisclosureResponse {
    pub id: Uuid,
    /// 索引号: `<publisher code>/<year>-<sequence>`.
    pub index_no: String,
    /// 分类 (stable code).
    pub category: String,
    pub category_zh: String,
    pub category_en: String,
    /// 发布机构.
    pub publisher: String,
    /// The publishing tenant's slug.
    pub tenant: String,
    /// 成文日期.
    pub written_on: NaiveDate,
    /// 发布日期.
    pub published_at: DateTime<Utc>,
    /// 文号.
    pub document_number: Option<String>,
    /// 主题词.
    pub subject_terms: Vec<String>,
    pub title: String,
    pub body: String,
    /// Ids of public documents attached.
    pub attachments: Vec<Uuid>,
    /// What it concerns: `organisation`, …
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// The earlier record this one corrects.
    pub supersedes_id: Option<Uuid>,
    /// The later record that corrects this one.
    pub superseded_by_id: Option<Uuid>,
}

impl From<DisclosureView> for DisclosureResponse {
    fn from(view: DisclosureView) -> Self {
        let model = view.model;
        let category = Category::parse(&model.category);
        Self {
            id: model.id,
            index_no: model.index_no,
            category_zh: category
                .map(Category::label_zh)
                .unwrap_or_default()
                .to_owned(),
            category_en: category
                .map(Category::label_en)
                .unwrap_or_default()
                .to_owned(),
            category: model.category,
            publisher: model.publisher,
            tenant: view.tenant_slug,
            written_on: model.written_on,
            published_at: model.published_at,
            document_number: model.document_number,
            subject_terms: serde_json::from_str(&model.subject_terms).unwrap_or_default(),
            title: model.title,
            body: model.body,
            attachments: serde_json::from_str(&model.attachments).unwrap_or_default(),
            subject_type: model.subject_type,
            subject_id: model.subject_id,
            supersedes_id: model.supersedes_id,
            superseded_by_id: view.superseded_by,
        }
    }
}

/// A page of disclosures, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DisclosureList {
    pub items: Vec<DisclosureResponse>,
    pub next_cursor: Option<String>,
}

/// A policy document or a correction, published by a tenant's administrator.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct PublishDisclosureRequest {
    pub title: Text<300>,
    pub body: Prose<100_000>,
    /// 成文日期; today in the tenant's time zone when omitted.
    pub written_on: Option<NaiveDate>,
    /// 文号, e.g. `深民〔2009〕12号`.
    pub document_number: Option<Text<50>>,
    /// 主题词, each one word or phrase.
    #[serde(default)]
    #[oai(default, validator(max_items = 20))]
    pub subject_terms: Vec<Text<30>>,
    /// Public documents of the tenant to attach.
    #[serde(default)]
    #[oai(default)]
    pub attachments: Vec<Uuid>,
    /// The record this one corrects; its category and subject carry over.
    pub supersedes: Option<Uuid>,
}
