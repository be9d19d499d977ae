//! facenet-gallery
