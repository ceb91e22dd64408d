/* SPDX-License-Identifier: MIT */
/*
 * Test fixture for `lockorder import`: a cut-down C header in the format of
 * the Linux SMB client's cifsglob.h, written for these tests. Its table holds
 * the 27 locks of the client's lock order after patch 4/5 of the May 2025
 * fid_lock series; its declarations give most of them a type.
 */
#ifndef _LOCKORDER_FIXTURE_CIFS_LOCKS_H
#define _LOCKORDER_FIXTURE_CIFS_LOCKS_H

#include <linux/spinlock.h>

/* Text in a string or a comment declares nothing: spinlock_t vol_list_lock; */
#define FIXTURE_NOTE "spinlock_t vol_list_lock; struct mutex ctx_lock;"

struct cifs_sb_info {
	spinlock_t tlink_tree_lock;
	unsigned int mnt_cifs_flags;
};

struct TCP_Server_Info {
	struct mutex reconnect_mutex;
	struct mutex srv_mutex;
	spinlock_t srv_lock;	/* the struct's general lock */
	spinlock_t mid_lock, req_lock;
	struct mutex *not_a_lock;	/* a pointer: not a lock of this struct */
	int in_flight;
};

struct cifs_ses {
	struct mutex session_mutex;
	spinlock_t ses_lock;
	spinlock_t iface_lock;
	union {
		spinlock_t chan_lock;	/* members of an anonymous union are the struct's */
	};
};

struct cifs_tcon {
	spinlock_t open_file_lock;
	spinlock_t stat_lock;
	spinlock_t tc_lock;
	int tc_count;
};

struct cifsInodeInfo {
	/* struct rw_semaphore i_rwsem; -- the VFS inode's, not declared here */
	spinlock_t open_file_lock;
	spinlock_t writers_lock;
	struct rw_semaphore lock_sem;
	spinlock_t deferred_lock;
};

struct cached_fid {
	struct mutex cfid_mutex;
	spinlock_t fid_lock;
};

struct cached_fids {
	spinlock_t cfid_list_lock;
	int num_entries;
};

struct cifsFileInfo {
	struct mutex fh_mutex;
	spinlock_t file_info_lock;
};

/****************************************************************************
 * LOCK ORDERING NOTES:
 ****************************************************************************
 * The locks of the client, in the order they are taken: when two are held
 * together, the one nearer the top of the list is taken first. To take a
 * lock above one already held, release the held one first. A new lock goes
 * into the list at its place in this order.
 *
 * =====================================================================================
 * Lock				Protects			Initialization fn
 * =====================================================================================
 * vol_list_lock
 * vol_info->ctx_lock		vol_info->ctx
 * cifs_sb_info->tlink_tree_lock	cifs_sb_info->tlink_tree	cifs_setup_cifs_sb
 * TCP_Server_Info->		TCP_Server_Info			cifs_get_tcp_session
 * reconnect_mutex
 * TCP_Server_Info->srv_mutex	TCP_Server_Info			cifs_get_tcp_session
 * cifs_ses->session_mutex	cifs_ses			sesInfoAlloc
 * cached_fid->cfid_mutex	cached_fid			init_cached_dir
 * cifs_tcon->open_file_lock	cifs_tcon->openFileList		tconInfoAlloc
 *				->pending_opens
 * cifs_tcon->stat_lock		cifs_tcon->bytes_read		tconInfoAlloc
 *				->bytes_written
 * cifs_tcp_ses_lock		cifs_tcp_ses_list		sesInfoAlloc
 * GlobalMid_Lock		GlobalMaxActiveXid		init_cifs
 *				GlobalCurrentXid
 *				GlobalTotalActiveXid
 * TCP_Server_Info->srv_lock	anything in the struct not protected by another lock that can change
 * TCP_Server_Info->mid_lock	->pending_mid_q			cifs_get_tcp_session
 *				->CurrentMid
 *				changes in mid_q_entry fields
 * TCP_Server_Info->req_lock	->in_flight			cifs_get_tcp_session
 *				->credits
 *				->echo_credits
 *				->oplock_credits
 *				->reconnect_instance
 * cifs_ses->ses_lock		anything not protected by another lock that can change
 *								sesInfoAlloc
 * cifs_ses->iface_lock		->iface_list			sesInfoAlloc
 *				->iface_count
 *				->iface_last_update
 * cifs_ses->chan_lock		->chans				sesInfoAlloc
 *				->chans_need_reconnect
 *				->chans_in_reconnect
 * cifs_tcon->tc_lock		anything not protected by another lock that can change
 *								tcon_info_alloc
 * inode->i_rwsem, taken by netfs; must be taken before the cifsInodeInfo locks
 * cifsInodeInfo->open_file_lock	->openFileList		cifs_alloc_inode
 * cifsInodeInfo->writers_lock	->writers			cifsInodeInfo_alloc
 * cifsInodeInfo->lock_sem	->llist				cifs_init_once
 *				->can_cache_brlcks
 * cifsInodeInfo->deferred_lock	->deferred_closes		cifsInodeInfo_alloc
 * cached_fids->cfid_list_lock	cifs_tcon->cfids->entries	init_cached_dirs
 * cached_fid->fid_lock		anything in cached_fid not protected by another lock that can change
 *								init_cached_dir
 * cifsFileInfo->fh_mutex	cifsFileInfo			cifs_new_fileinfo
 * cifsFileInfo->file_info_lock	->count				cifs_new_fileinfo
 *				->invalidHandle			initiate_cifs_search
 *				->oplock_break_cancelled
 ****************************************************************************/

extern spinlock_t		cifs_tcp_ses_lock;
extern spinlock_t GlobalMid_Lock; /* protects the xid counters */

#endif /* _LOCKORDER_FIXTURE_CIFS_LOCKS_H */
