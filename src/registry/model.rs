//! The registry's vocabulary: organisation types and statuses, application states.

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// `type` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum OrgType {
    /// 社会团体
    SocialGroup,
    /// 社会服务机构 (formerly 民办非企业单位)
    SocialServiceOrganisation,
    /// 基金会
    Foundation,
}

impl OrgType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgType::SocialGroup => "social_group",
            OrgType::SocialServiceOrganisation => "social_service_organisation",
            OrgType::Foundation => "foundation",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            OrgType::SocialGroup,
            OrgType::SocialServiceOrganisation,
            OrgType::Foundation,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == value)
    }

    /// Position 2 of the unified social credit code.
    pub fn code_digit(self) -> char {
        match self {
            OrgType::SocialGroup => '1',
            OrgType::SocialServiceOrganisation => '2',
            OrgType::Foundation => '3',
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgType::SocialGroup => "社会团体",
            OrgType::SocialServiceOrganisation => "社会服务机构",
            OrgType::Foundation => "基金会",
        }
    }
}

/// Sub-kinds that matter for policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum SubKind {
    /// 行业协会商会
    IndustryAssociation,
    /// 社工机构
    SocialWorkAgency,
    /// 慈善组织
    Charity,
}

impl SubKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubKind::IndustryAssociation => "industry_association",
            SubKind::SocialWorkAgency => "social_work_agency",
            SubKind::Charity => "charity",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            SubKind::IndustryAssociation,
            SubKind::SocialWorkAgency,
            SubKind::Charity,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == value)
    }
}

/// An organisation's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum OrgStatus {
    Registered,
    /// On the abnormal-activity list (活动异常名录).
    Abnormal,
    /// 注销, voluntary.
    Deregistered,
    /// 撤销, enforcement.
    Revoked,
}

impl OrgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Registered => "registered",
            OrgStatus::Abnormal => "abnormal",
            OrgStatus::Deregistered => "deregistered",
            OrgStatus::Revoked => "revoked",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            OrgStatus::Registered,
            OrgStatus::Abnormal,
            OrgStatus::Deregistered,
            OrgStatus::Revoked,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }

    /// Live organisations hold their name; deregistered and revoked ones release it.
    pub fn is_live(self) -> bool {
        matches!(self, OrgStatus::Registered | OrgStatus::Abnormal)
    }
}

/// A registration application's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Draft,
    Submitted,
    Approved,
    Returned,
    Rejected,
    Withdrawn,
}

impl RegistrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Draft => "draft",
            RegistrationStatus::Submitted => "submitted",
            RegistrationStatus::Approved => "approved",
            RegistrationStatus::Returned => "returned",
            RegistrationStatus::Rejected => "rejected",
            RegistrationStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            RegistrationStatus::Draft,
            RegistrationStatus::Submitted,
            RegistrationStatus::Approved,
            RegistrationStatus::Returned,
            RegistrationStatus::Rejected,
            RegistrationStatus::Withdrawn,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }

    /// The applicant may still edit the application.
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Draft | RegistrationStatus::Returned
        )
    }
}

/// What a transition does, for checking it is allowed from the current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationAction {
    Submit,
    Approve,
    Return,
    Reject,
    Withdraw,
}

impl RegistrationAction {
    /// The state the action leads to, if it is allowed from `from`.
    pub fn target(self, from: RegistrationStatus) -> Option<RegistrationStatus> {
        use RegistrationStatus::{Approved, Draft, Rejected, Returned, Submitted, Withdrawn};
        match (self, from) {
            (RegistrationAction::Submit, Draft | Returned) => Some(Submitted),
            (RegistrationAction::Approve, Submitted) => Some(Approved),
            (RegistrationAction::Return, Submitted) => Some(Returned),
            (RegistrationAction::Reject, Submitted) => Some(Rejected),
            (RegistrationAction::Withdraw, Submitted) => Some(Withdrawn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RegistrationAction, RegistrationStatus};

    #[test]
    fn transitions_follow_the_workflow() {
        use RegistrationAction::{Approve, Reject, Return, Submit, Withdraw};
        use RegistrationStatus::{Approved, Draft, Rejected, Returned, Submitted, Withdrawn};
        assert_eq!(Submit.target(Draft), Some(Submitted));
        assert_eq!(Submit.target(Returned), Some(Submitted));
        assert_eq!(Approve.target(Submitted), Some(Approved));
        assert_eq!(Return.target(Submitted), Some(Returned));
        assert_eq!(Reject.target(Submitted), Some(Rejected));
        assert_eq!(Withdraw.target(Submitted), Some(Withdrawn));
        for action in [Submit, Approve, Return, Reject, Withdraw] {
            for terminal in [Approved, Rejected, Withdrawn] {
                assert_eq!(
                    action.target(terminal),
                    None,
                    "{action:?} from {terminal:?}"
                );
            }
        }
        assert_eq!(Approve.target(Draft), None);
        assert_eq!(Withdraw.target(Draft), None);
    }
}
