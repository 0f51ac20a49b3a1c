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
    Folder(AsyncFileTransport<Tokio1Executor>),
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
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("cannot create {}", folder.display()))?;
                Transport::Folder(AsyncFileTransport::new(folder))
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
            Transport::Folder(folder) => {
                folder
                    .send(message)
                    .await
                    .context("cannot write the message file")?;
            }
            Transport::Memory(_) => {}
        }
        Ok(())
    }
}
