//! The portal's pages, one file per page (its handler, its view model and the template it
//! renders). Each handler gathers what its page shows through the same services the API uses,
//! renders one template and answers through [`respond`](super::respond).

mod assets;
mod common;
mod home;
mod notices;
mod profile;
mod search;
mod tenants;

pub use assets::stylesheet;
pub use common::not_found_response;
pub use home::home_page;
pub use notices::{
    all_notices_page, notice_page, notice_print_page, objection_post, tenant_category_page,
    tenant_notices_page,
};
pub use profile::profile_page;
pub use search::search_page;
pub use tenants::{incubation_page, tenant_list_page, tenant_page};
