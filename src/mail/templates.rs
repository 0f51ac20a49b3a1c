//! The e-mail templates. Each message is a folder `templates/email/<name>/` with `subject.txt`,
//! `body.txt` and `body.html`; the fields a message uses are checked when the crate compiles.

/// A message rendered in its three parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

macro_rules! email_template {
    ($module:ident, $subject:literal, $text:literal, $html:literal, { $($field:ident : $ty:ty),* $(,)? }) => {
        pub mod $module {
            use askama::Template;

            /// What the message says.
            #[derive(Debug, Clone)]
            pub struct Data {
                $(pub $field: $ty,)*
            }

            #[derive(Template)]
            #[template(path = $subject)]
            #[allow(dead_code, reason = "a subject may not use any field")]
            struct Subject<'a> {
                m: &'a Data,
            }

            #[derive(Template)]
            #[template(path = $text)]
            struct Text<'a> {
                m: &'a Data,
            }

            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                m: &'a Data,
            }

            impl Data {
                pub fn render(&self) -> askama::Result<super::RenderedEmail> {
                    Ok(super::RenderedEmail {
                        subject: super::one_line(&Subject { m: self }.render()?),
                        text: Text { m: self }.render()?,
                        html: Html { m: self }.render()?,
                    })
                }
            }
        }
    };
}

email_template!(
    evaluation_notice,
    "email/evaluation_notice/subject.txt",
    "email/evaluation_notice/body.txt",
    "email/evaluation_notice/body.html",
    {
        subject_zh: String,
        subject_en: String,
        organisation: String,
        campaign: String,
        lines_zh: Vec<String>,
        lines_en: Vec<String>,
        link: String,
    }
);

/// Subjects are one line, whatever the template's whitespace.
fn one_line(subject: &str) -> String {
    subject.split_whitespace().collect::<Vec<_>>().join(" ")
}

email_template!(
    verify_address,
    "email/verify_address/subject.txt",
    "email/verify_address/body.txt",
    "email/verify_address/body.html",
    { name: String, link: String, valid_hours: i64 }
);

email_template!(
    account_exists,
    "email/account_exists/subject.txt",
    "email/account_exists/body.txt",
    "email/account_exists/body.html",
    { name: String, reset_link: String }
);

email_template!(
    reset_password,
    "email/reset_password/subject.txt",
    "email/reset_password/body.txt",
    "email/reset_password/body.html",
    { name: String, link: String, valid_minutes: i64 }
);

email_template!(
    set_password,
    "email/set_password/subject.txt",
    "email/set_password/body.txt",
    "email/set_password/body.html",
    { name: String, link: String, valid_days: i64 }
);

email_template!(
    password_changed,
    "email/password_changed/subject.txt",
    "email/password_changed/body.txt",
    "email/password_changed/body.html",
    { name: String, reset_link: String }
);

email_template!(
    confirm_new_address,
    "email/confirm_new_address/subject.txt",
    "email/confirm_new_address/body.txt",
    "email/confirm_new_address/body.html",
    { name: String, new_email: String, link: String, valid_hours: i64 }
);

email_template!(
    address_changed,
    "email/address_changed/subject.txt",
    "email/address_changed/body.txt",
    "email/address_changed/body.html",
    { name: String, new_email: String }
);

email_template!(
    registration_decision,
    "email/registration_decision/subject.txt",
    "email/registration_decision/body.txt",
    "email/registration_decision/body.html",
    {
        name: String,
        organisation: String,
        decision_zh: String,
        decision_en: String,
        notes: Vec<String>,
        code: Option<String>,
        link: String,
    }
);

email_template!(
    added_to_organisation,
    "email/added_to_organisation/subject.txt",
    "email/added_to_organisation/body.txt",
    "email/added_to_organisation/body.html",
    { name: String, organisation: String, link: String }
);

email_template!(
    added_to_tenant,
    "email/added_to_tenant/subject.txt",
    "email/added_to_tenant/body.txt",
    "email/added_to_tenant/body.html",
    { name: String, tenant: String, roles: String, link: String }
);

email_template!(
    invited_to_tenant,
    "email/invited_to_tenant/subject.txt",
    "email/invited_to_tenant/body.txt",
    "email/invited_to_tenant/body.html",
    { name: String, tenant: String, roles: String, link: String }
);

email_template!(
    abnormal_listed,
    "email/abnormal_listed/subject.txt",
    "email/abnormal_listed/body.txt",
    "email/abnormal_listed/body.html",
    { organisation: String, code: String, year: i32, link: String }
);

#[cfg(test)]
mod tests {
    use super::verify_address;

    #[test]
    fn renders_chinese_first_and_escapes_html() {
        let rendered = verify_address::Data {
            name: "李<script>alert(1)</script>".to_owned(),
            link: "https://socorg.example/account/verify?token=abc".to_owned(),
            valid_hours: 48,
        }
        .render()
        .unwrap();
        assert!(!rendered.subject.contains('\n'));
        assert!(
            rendered.subject.starts_with("请确认"),
            "{}",
            rendered.subject
        );
        let chinese = rendered.text.find("请在").unwrap();
        let english = rendered.text.find("Please confirm").unwrap();
        assert!(chinese < english, "Chinese first, English below");
        assert!(rendered.text.contains("token=abc"));
        assert!(!rendered.html.contains("<script>"), "{}", rendered.html);
        assert!(rendered.html.contains("lang=\"zh-CN\""));
    }
}
