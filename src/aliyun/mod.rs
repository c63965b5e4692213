//! Aliyun IoT Platform: sign strings, credentials, replies, hosts and topics.
