// placeholder: replaced by the inode table
