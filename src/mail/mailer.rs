//! The transports.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};

use crate::config::Config;

/// A rendered message, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without angle brackets: `<id>@<domain>`.
    pub message_id: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder only the server's user may enter, each 0600 (they hold live
    /// verification and reset links).
    Folder(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
    Memory(Arc<Mutex<Vec<OutgoingEmail>>>),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    /// SMTP when `SOCORG_SMTP_URL` is set, else `.eml` files in `<data dir>/outbox`.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let from: Mailbox = config.mail_from.parse().with_context(|| {
            format!("SOCORG_MAIL_FROM `{}` is not an address", config.mail_from)
        })?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("SOCORG_SMTP_URL is not a valid SMTP URL")?
                    .build(),
            ),
            None => {
                let folder = config.outbox_dir();
                crate::files::create_private_dir_all(&folder)
                    .with_context(|| format!("cannot create {}", folder.display()))?;
                Transport::Folder(AsyncFileTransport::new(&folder), folder)
            }
        };
        Ok(Self { transport, from })
    }

    /// A mailer that keeps messages in memory, for unit tests.
    pub fn in_memory(from: Mailbox) -> (Self, Arc<Mutex<Vec<OutgoingEmail>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (
            Self {
                transport: Transport::Memory(sent.clone()),
                from,
            },
            sent,
        )
    }

    /// The domain of the sender, used in message ids.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    pub async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()> {
        if let Transport::Memory(sent) = &self.transport {
            sent.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(email.clone());
            return Ok(());
        }
        let to: Mailbox = email
            .to
            .parse()
            .with_context(|| format!("`{}` is not an address", email.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .message_id(Some(format!("<{}>", email.message_id)))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .context("cannot build the message")?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("SMTP delivery failed")?;
            }
            Transport::Folder(transport, folder) => {
                let id = transport
                    .send(message)
                    .await
                    .context("cannot write the message file")?;
                crate::files::restrict(&folder.join(format!("{id}.eml")), false)
                    .context("cannot restrict the message file")?;
            }
            Transport::Memory(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Mailer, OutgoingEmail};

    #[tokio::test]
    async fn the_in_memory_transport_keeps_what_was_sent() {
        let (mailer, sent) = Mailer::in_memory("socorg <no-reply@socorg.test>".parse().unwrap());
        assert_eq!(mailer.domain(), "socorg.test");
        let email = OutgoingEmail {
            to: "li@example.org".into(),
            subject: "请确认 / Please confirm".into(),
            text: "正文".into(),
            html: "<p>正文</p>".into(),
            message_id: "abc@socorg.test".into(),
        };
        mailer.send(&email).await.unwrap();
        mailer.send(&email).await.unwrap();
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0], email);
        assert_eq!(
            sent[0].message_id, sent[1].message_id,
            "a repeated send keeps its Message-ID"
        );
    }
}
