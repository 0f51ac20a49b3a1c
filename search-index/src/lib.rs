//! Search index (grows with the search issue).
